"""Chinese-aware presidio recognizers, one per module.

Registration is explicit: :data:`RECOGNIZERS` maps each entity name (the public
contract) to the class that finds it, and :func:`default_recognizers`
instantiates the ones asked for. Heavy assets (the PERSON model) load when a
recognizer is constructed, never at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from presidio_analyzer import EntityRecognizer

from recognizers.address import CnAddressRecognizer
from recognizers.bank_card import CnBankCardRecognizer
from recognizers.email import EmailAddressRecognizer
from recognizers.ip_address import IpAddressRecognizer
from recognizers.license_plate import CnLicensePlateRecognizer
from recognizers.passport import CnPassportRecognizer
from recognizers.person import CnPersonRecognizer
from recognizers.phone import CnPhoneRecognizer
from recognizers.resident_id import CnResidentIdRecognizer
from recognizers.uscc import CnUsccRecognizer

__all__ = [
    "ENTITIES",
    "RECOGNIZERS",
    "CnAddressRecognizer",
    "CnBankCardRecognizer",
    "CnLicensePlateRecognizer",
    "CnPassportRecognizer",
    "CnPersonRecognizer",
    "CnPhoneRecognizer",
    "CnResidentIdRecognizer",
    "CnUsccRecognizer",
    "EmailAddressRecognizer",
    "IpAddressRecognizer",
    "default_recognizers",
]

#: Entity name -> recognizer class. The order is the tie-break priority when
#: two results overlap with equal score and length.
RECOGNIZERS: dict[str, Callable[[], EntityRecognizer]] = {
    "CN_RESIDENT_ID": CnResidentIdRecognizer,
    "CN_BANK_CARD": CnBankCardRecognizer,
    "CN_USCC": CnUsccRecognizer,
    "CN_PASSPORT": CnPassportRecognizer,
    "PHONE_NUMBER": CnPhoneRecognizer,
    "EMAIL_ADDRESS": EmailAddressRecognizer,
    "CN_LICENSE_PLATE": CnLicensePlateRecognizer,
    "IP_ADDRESS": IpAddressRecognizer,
    "PERSON": CnPersonRecognizer,
    "CN_ADDRESS": CnAddressRecognizer,
}

#: Every entity desens finds, in priority order.
ENTITIES: tuple[str, ...] = tuple(RECOGNIZERS)


def default_recognizers(entities: Iterable[str] | None = None) -> list[EntityRecognizer]:
    """Instantiate the recognizers for ``entities`` (all when None).

    Unknown names are ignored here; :func:`desens.build_analyzer` rejects them.
    """
    wanted = set(ENTITIES if entities is None else entities)
    return [cls() for entity, cls in RECOGNIZERS.items() if entity in wanted]
