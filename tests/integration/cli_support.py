"""Synthetic people tables and helpers that run the CLI as a user does."""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from recognizers.checksums import gb11643_check_char

HEADER = ["编号", "姓名", "身份证号", "手机", "性别", "出生日期", "住址", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳"]


def resident_id(birth: str, seq: int, division: str = "440703") -> str:
    """A valid synthetic resident ID (GB 11643 check character)."""
    first = f"{division}{birth}{seq:03d}"
    return first + gb11643_check_char(first)


@dataclass(frozen=True)
class People:
    """A synthetic table: rows of HEADER values."""

    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        i = HEADER.index(name)
        return [r[i] for r in self.rows]

    def csv_text(self, delimiter: str = ",") -> str:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(self.rows)
        return buf.getvalue()

    def sensitive_values(self) -> list[str]:
        """Values that must never appear in a message or a report."""
        return [*self.column("身份证号"), *self.column("手机"), *self.column("姓名")]


def make_people(n_common: int = 48, n_rare: int = 3, seed: int = 7, start: int = 0) -> People:
    """``n_common`` people born 1985 or 1995 (four large classes), ``n_rare`` born 1960.

    Everyone lives in 江门市 (one city), so the quasi-identifier classes of the
    ``open`` policy are (age band, city, birth year, sex): four classes of
    ``n_common / 4`` and one of ``n_rare``.
    """
    rng = random.Random(seed)
    rows = []
    for i in range(n_common + n_rare):
        year = 1960 if i >= n_common else (1985 if i % 2 else 1995)
        sex = "男" if (i // 2) % 2 else "女"
        birth = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        seq = rng.randrange(0, 998, 2) + (1 if sex == "男" else 0)
        rid = resident_id(birth, seq)
        phone = f"13{rng.randint(5, 9)}{rng.randint(0, 99_999_999):08d}"
        contact = f"15{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        rows.append(
            [
                f"A{start + i:04d}",
                name,
                rid,
                phone,
                sex,
                f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
                f"广东省江门市蓬江区白沙大道西{rng.randint(1, 99)}号",
                f"来电反映噪音问题，回访电话{contact}，已转办。",
            ]
        )
    return People(rows)


@dataclass
class Run:
    """A finished CLI run."""

    returncode: int
    stdout: str
    stderr: str


def _env(env: Mapping[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DESENS_KEY")}
    return {**base, "PYTHONIOENCODING": "utf-8", **(env or {})}


def desens(
    *args: str | Path, env: Mapping[str, str] | None = None, stdin: bytes | None = None
) -> Run:
    """Run ``python -m desens`` with a clean key environment (plus ``env``)."""
    proc = subprocess.run(
        [sys.executable, "-m", "desens", *map(str, args)],
        capture_output=True,
        input=stdin,
        timeout=300,
        env=_env(env),
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def desens_all(*commands: Sequence[str | Path]) -> list[Run]:
    """Run several ``desens`` commands at once (each loads the analyzer: ~2 s)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "desens", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(None),
        )
        for args in commands
    ]
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        runs.append(Run(proc.returncode, out.decode("utf-8"), err.decode("utf-8")))
    return runs
