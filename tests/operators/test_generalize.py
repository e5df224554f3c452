"""generalize: coarser facts from IDs, dates, addresses and phone numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from strategies import valid_ids

from desens.errors import ConfigError, InputError
from desens.operators import GeneralizeParams, generalize
from desens.operators.generalize import PROVINCE_NAMES
from recognizers.checksums import PROVINCE_CODES

REF = dt.date(2024, 6, 30)
ID_M = "440703198503122014"  # born 1985-03-12, 17th digit 1: male
ID_F = "440703198507012026"  # born 1985-07-01, 17th digit 2: female

CASES = [
    pytest.param(ID_M, "CN_RESIDENT_ID", {}, "440000 广东省", id="id-default-province"),
    pytest.param(
        ID_M,
        "CN_RESIDENT_ID",
        {"level": "province", "province_name": False},
        "440000",
        id="id-province-code",
    ),
    pytest.param(ID_M, "CN_RESIDENT_ID", {"level": "city"}, "440700", id="id-city"),
    pytest.param(ID_M, "CN_RESIDENT_ID", {"level": "county"}, "440703", id="id-county"),
    pytest.param(ID_M, "CN_RESIDENT_ID", {"level": "birth_year"}, "1985", id="id-birth-year"),
    pytest.param(ID_M, "CN_RESIDENT_ID", {"level": "sex"}, "男", id="id-male"),
    pytest.param(ID_F, "CN_RESIDENT_ID", {"level": "sex"}, "女", id="id-female"),
    pytest.param(
        ID_M, "CN_RESIDENT_ID", {"level": "age_band", "reference_date": REF}, "30-39", id="age-10"
    ),
    pytest.param(
        ID_M,
        "CN_RESIDENT_ID",
        {"level": "age_band", "band": 5, "reference_date": REF},
        "35-39",
        id="age-5",
    ),
    pytest.param(
        ID_F,
        "CN_RESIDENT_ID",
        {"level": "age_band", "band": 5, "reference_date": dt.date(2020, 6, 30)},
        "30-34",
        id="age-before-birthday",
    ),
    pytest.param("440703850312201", "CN_RESIDENT_ID", {"level": "sex"}, "男", id="id-15-digit-sex"),
    pytest.param(
        "440703850312201", "CN_RESIDENT_ID", {"level": "birth_year"}, "1985", id="id-15-digit-year"
    ),
    pytest.param("110105194912310021", "CN_RESIDENT_ID", {}, "110000 北京市", id="id-municipality"),
    pytest.param("2023-05-03", "DATE_TIME", {}, "2023-05", id="date-iso-month"),
    pytest.param("2023-05-03", "DATE_TIME", {"level": "year"}, "2023", id="date-iso-year"),
    pytest.param("2023/5/3", "DATE_TIME", {}, "2023/5", id="date-slash-unpadded"),
    pytest.param("2023年5月3日", "DATE_TIME", {}, "2023年5月", id="date-chinese-month"),
    pytest.param(
        "2023年05月03日", "DATE_TIME", {"level": "year"}, "2023年", id="date-chinese-year"
    ),
    pytest.param("２０２３年５月３日", "DATE_TIME", {}, "2023年5月", id="date-fullwidth"),
    pytest.param("2023-05-03 10:20", "DATE_TIME", {}, "2023-05", id="date-with-time"),
    pytest.param("广东省江门市蓬江区建设路1号", "CN_ADDRESS", {}, "广东省江门市", id="addr-city"),
    pytest.param(
        "广东省江门市蓬江区建设路1号",
        "CN_ADDRESS",
        {"level": "district"},
        "广东省江门市蓬江区",
        id="addr-district",
    ),
    pytest.param(
        "广东省江门市蓬江区建设路1号",
        "CN_ADDRESS",
        {"level": "province"},
        "广东省",
        id="addr-province",
    ),
    pytest.param(
        "广西壮族自治区南宁市青秀区民族大道",
        "CN_ADDRESS",
        {},
        "广西壮族自治区南宁市",
        id="addr-autonomous-region",
    ),
    pytest.param("北京市朝阳区建国路88号", "CN_ADDRESS", {}, "北京市", id="addr-municipality-city"),
    pytest.param(
        "北京市朝阳区建国路88号",
        "CN_ADDRESS",
        {"level": "district"},
        "北京市朝阳区",
        id="addr-municipality-district",
    ),
    pytest.param(
        "江门市新会区会城街道",
        "CN_ADDRESS",
        {"level": "district"},
        "江门市新会区",
        id="addr-no-province",
    ),
    pytest.param(
        "吉林省延边朝鲜族自治州延吉市",
        "CN_ADDRESS",
        {"level": "district"},
        "吉林省延边朝鲜族自治州延吉市",
        id="addr-prefecture",
    ),
    pytest.param(
        "广东省惠来县某镇", "CN_ADDRESS", {"level": "district"}, "广东省惠来县", id="addr-no-city"
    ),
    pytest.param("建设路1号", "CN_ADDRESS", {}, "", id="addr-nothing-known"),
    pytest.param("13812345678", "PHONE_NUMBER", {}, "138", id="phone-prefix"),
    pytest.param(
        "+86 138-1234-5678", "PHONE_NUMBER", {"level": "segment"}, "1381234", id="phone-segment"
    ),
    pytest.param("0750-1234567", "PHONE_NUMBER", {}, "0750", id="landline-area-code"),
    pytest.param("2023-05-03", None, {"kind": "date"}, "2023-05", id="kind-param"),
]


@pytest.mark.parametrize(("value", "entity", "params", "expected"), CASES)
def test_generalize(
    value: str, entity: str | None, params: dict[str, object], expected: str
) -> None:
    assert generalize(value, GeneralizeParams(**params), entity) == expected


def test_there_are_34_province_names() -> None:
    assert len(PROVINCE_NAMES) == 34
    assert set(PROVINCE_NAMES) == set(PROVINCE_CODES)


@given(valid_ids)
def test_id_levels_are_prefixes_of_the_code(value: str) -> None:
    county = generalize(value, GeneralizeParams(level="county"), "CN_RESIDENT_ID")
    city = generalize(value, GeneralizeParams(level="city"), "CN_RESIDENT_ID")
    province = generalize(value, GeneralizeParams(level="province"), "CN_RESIDENT_ID")
    assert county == value[:6] and city == value[:4] + "00"
    assert province == f"{value[:2]}0000 {PROVINCE_NAMES[value[:2]]}"
    sex = generalize(value, GeneralizeParams(level="sex"), "CN_RESIDENT_ID")
    assert sex == ("男" if int(value[16]) % 2 else "女")


@pytest.mark.parametrize(
    ("value", "entity", "params", "error"),
    [
        pytest.param("张三", "PERSON", {}, ConfigError, id="no-rule-for-entity"),
        pytest.param("2023-05-03", "DATE_TIME", {"level": "sex"}, ConfigError, id="level-mismatch"),
        pytest.param(
            ID_M, "CN_RESIDENT_ID", {"level": "age_band"}, ConfigError, id="no-reference-date"
        ),
        pytest.param("2023-02-30", "DATE_TIME", {}, InputError, id="no-such-date"),
        pytest.param("03/05/2023", "DATE_TIME", {}, InputError, id="unsupported-date"),
        pytest.param("4407031985", "CN_RESIDENT_ID", {}, InputError, id="short-id"),
        pytest.param(
            ID_M,
            "CN_RESIDENT_ID",
            {"level": "age_band", "reference_date": dt.date(1980, 1, 1)},
            InputError,
            id="born-after-reference",
        ),
    ],
)
def test_errors_do_not_echo_the_value(
    value: str, entity: str, params: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error) as err:
        generalize(value, GeneralizeParams(**params), entity)
    assert value not in str(err.value)
