"""The release report: what was done to a dataset, and why it is safe to publish.

Written as JSON next to every output (``OUTPUT.report.json`` unless
``--report`` says otherwise), with a short human summary on stderr. It holds
hashes, counts, names and ids, never a value from the data and never a key:

- input and output SHA-256, row counts in and out, the input encoding;
- the policy's name, data class and digest, the key id, the public
  fingerprints of the keys used, the tool version;
- per column: the action, where it was decided (declared / detected), the
  entity type and the operator;
- entity counts (values transformed per entity type);
- records suppressed, by reason (withheld, operator, k-anonymity);
- k-anonymity over the quasi-identifier columns: k asked for, the smallest
  class before and after suppression, rows at risk before suppression;
- the residual scan: what the analyzer still finds in the output, per column
  and entity, for resident IDs, phones, cards, USCCs and passports, with the
  input lines of the first rows that hold each (``lines``: up to 10, the
  record's line as in error messages; a Parquet file's row number), so that
  the publisher can find them; ``passed`` is true only when it found none.
  ``not_scanned`` lists the ``fpe`` columns (their pseudonyms look real by
  design), ``safe_by_construction`` the
  ``hash`` columns (keyed digests hold nothing of the input; see
  :func:`desens.release.residual.safe_by_construction`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from desens.policy import Policy
from desens.release.plan import ColumnPlan
from desens.release.residual import safe_by_construction
from desens.release.transform import RESIDUAL_ENTITIES, RESIDUAL_THRESHOLD, ChunkResult
from desens.tables import format_of

if TYPE_CHECKING:
    from desens.release.pipeline import ReleaseOptions

__all__ = ["ReleaseReport", "k_anonymity_summary"]


def k_anonymity_summary(
    policy: Policy,
    before: Counter[tuple[Any, ...]],
    after: Counter[tuple[Any, ...]],
    plans: Sequence[ColumnPlan],
) -> dict[str, Any] | None:
    """k-anonymity figures from class sizes before and after suppression.

    ``quasi_identifiers`` are the table's columns that counted (as named in
    the table); ``missing_quasi_identifiers`` the policy's quasi-identifier
    rules that matched no column, whose columns may be in the table under
    another name, outside the classes.
    """
    rules = [r for r in policy.columns if r.quasi_identifier]
    if not rules:
        return None
    k = policy.k_anonymity.k if policy.k_anonymity else None
    names = {p.name for p in plans}
    return {
        "quasi_identifiers": [p.name for p in plans if p.quasi_identifier and p.action != "drop"],
        "missing_quasi_identifiers": [
            r.headers[0] for r in rules if not any(h in names for h in r.headers)
        ],
        "k_required": k,
        "classes_before": len(before) if k else None,
        "smallest_class_before": min(before.values()) if before else None,
        "rows_at_risk_before": sum(n for n in before.values() if k and n < k) if k else None,
        "classes": len(after),
        "smallest_class": min(after.values()) if after else None,
        "satisfied": (min(after.values()) >= k) if (k and after) else None,
    }


@dataclass
class ReleaseReport:
    """The report of one release run (see the module docstring)."""

    tool: dict[str, str]
    input: dict[str, Any]
    output: dict[str, Any]
    policy: dict[str, str]
    key_id: str | None
    #: Public fingerprints (``fp-`` and 8 hex digits; see
    #: :meth:`desens.keys.MasterKey.fingerprint`) of the default key and of
    #: every key id the policy names: ``reidentify`` refuses another key
    #: under the same id.
    key_fingerprints: dict[str, str]
    columns: list[dict[str, Any]]
    entities: dict[str, int]
    suppressed: dict[str, int]
    k_anonymity: dict[str, Any] | None
    residual_scan: dict[str, Any]
    seconds: float
    #: The span file of ``fpe`` outputs in free text (:mod:`desens.release.fpe_spans`):
    #: its name beside the output, SHA-256 and cells; None when there are none.
    fpe_spans: dict[str, Any] | None = field(default=None)
    #: With ``--withhold``: the list's entries, and how many matched a record.
    withhold: dict[str, int] | None = field(default=None)
    output_sha256: str | None = field(default=None)

    @classmethod
    def build(
        cls,
        *,
        options: ReleaseOptions,
        plans: Sequence[ColumnPlan],
        totals: ChunkResult,
        rows_out: int,
        input_sha256: str,
        started: float,
        version: str,
        k_anonymity: dict[str, Any] | None,
        encoding: str | None,
        fpe_spans: dict[str, Any] | None = None,
        withhold: dict[str, int] | None = None,
    ) -> ReleaseReport:
        """Assemble the report from a finished run's counts."""
        findings = [
            {
                "column": column,
                "entity": entity,
                "count": count,
                "lines": totals.residual_lines.get((column, entity), []),
            }
            for (column, entity), count in sorted(totals.residual.items())
        ]
        skipped = [p.name for p in plans if p.operator is not None and p.operator.name == "fpe"]
        policy = options.policy
        return cls(
            tool={"name": "desens", "version": version},
            input={
                "path": str(options.input),
                "sha256": input_sha256,
                "rows": totals.rows_in,
                "encoding": (encoding or "").removesuffix("-sig") or None,
            },
            output={
                "path": str(options.output),
                "rows": rows_out,
                "format": format_of(options.output, options.output_format),
            },
            policy={"name": policy.name, "data_class": policy.data_class, "digest": policy.digest},
            key_id=options.keys.default_id if options.keys is not None else None,
            key_fingerprints=_fingerprints(options),
            columns=[p.describe() for p in plans],
            entities=dict(sorted(totals.entities.items())),
            suppressed={
                "withheld": totals.suppressed["withheld"],
                "operator": totals.suppressed["operator"],
                "k-anonymity": totals.suppressed["k-anonymity"],
            },
            k_anonymity=k_anonymity,
            residual_scan={
                "entities": list(RESIDUAL_ENTITIES),
                "threshold": RESIDUAL_THRESHOLD,
                "findings": findings,
                "total": sum(totals.residual.values()),
                "not_scanned": skipped,
                "safe_by_construction": [p.name for p in plans if safe_by_construction(p)],
                "passed": not findings,
            },
            seconds=round(time.time() - started, 2),
            fpe_spans=fpe_spans,
            withhold=withhold,
        )

    @property
    def leaked(self) -> bool:
        """True when the residual scan found anything."""
        return not self.residual_scan["passed"]

    def leak_summary(self) -> str:
        """``column: ENTITY xN (input lines a, b, ...)`` for each residual finding."""
        return ", ".join(
            f"{f['column']}: {f['entity']} x{f['count']} (input {_lines(f)})"
            for f in self.residual_scan["findings"]
        )

    def to_json(self) -> str:
        """The report as pretty JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    def summary(self) -> str:
        """A few lines for stderr."""
        s = self.suppressed
        lines = [
            f"policy {self.policy['name']} ({self.policy['data_class']}), key {self.key_id or '-'}",
            f"rows: {self.input['rows']} in, {self.output['rows']} out "
            f"(withheld {s['withheld']}, suppressed {s['operator']}, "
            f"k-anonymity {s['k-anonymity']})",
        ]
        w = self.withhold
        if w is not None:
            lines.append(f"withhold list: {w['entries']} entries, {w['matched']} matched a record")
            if w["matched"] < w["entries"]:
                lines.append(
                    f"warning: {w['entries'] - w['matched']} withhold entries matched no record: "
                    "check them (a mistyped number withholds nobody)"
                )
        if self.entities:
            lines.append("entities: " + ", ".join(f"{k} {v}" for k, v in self.entities.items()))
        k = self.k_anonymity
        if k and k["k_required"]:
            if k["quasi_identifiers"]:
                lines.append(
                    f"k-anonymity: k={k['k_required']}, smallest class {k['smallest_class']} "
                    f"over {', '.join(k['quasi_identifiers'])}"
                )
            else:
                lines.append(
                    f"k-anonymity: k={k['k_required']} not applied: no quasi-identifier column "
                    "in the table"
                )
            if k.get("missing_quasi_identifiers"):
                lines.append(
                    "warning: quasi-identifiers the policy names are not in the table "
                    f"({', '.join(k['missing_quasi_identifiers'])}): if they are there under "
                    "other names, declare those names (names: [...]) or k-anonymity leaves "
                    "them out"
                )
        residual = self.residual_scan
        lines.append(
            "residual scan: passed (no IDs, phones, cards, USCCs, passports found)"
            if residual["passed"]
            else f"residual scan: FAILED ({self.leak_summary()})"
        )
        return "\n".join(lines)


def _lines(finding: dict[str, Any]) -> str:
    lines = finding.get("lines", [])
    more = ", ..." if finding["count"] > len(lines) else ""
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines)) + more


def _fingerprints(options: ReleaseOptions) -> dict[str, str]:
    """Fingerprints of the ring's default key and of every key id the policy names."""
    keys = options.keys
    if keys is None:
        return {}
    policy = options.policy
    params = [s.params for s in (*policy.entities.values(), policy.default)]
    params += [r.params for r in policy.columns]
    named = {str(p["key_id"]) for p in params if p.get("key_id")}
    return {k: keys.get(k).fingerprint() for k in sorted({keys.default_id} | named) if k in keys}
