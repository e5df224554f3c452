"""A generated corpus of Chinese government records with gold PII spans.

Use it to measure recall and precision of the analyzer on text that looks like
what public bodies hold: applications, petitions, public notices, contracts,
payment and access logs, household and social-security records, vehicle
records. Every value is synthetic: names are drawn from surname and
given-character lists, identifiers are random but pass their checksums.

Each record is a dict::

    {"id": 0, "kind": "notice", "text": "...",
     "spans": [[start, end, "PERSON"], ...],
     "negatives": [[start, end, "ORDER_NO"], ...]}

``spans`` are the gold entities (Python string offsets, end exclusive, sorted,
never overlapping). ``negatives`` mark hard negatives that a detector must
*not* report: 18-digit order numbers failing the ID check, 16-digit invoice
numbers failing the Luhn check, dates, amounts, document numbers
(江府办函〔2022〕73号), digit runs longer than 19, timestamps, postcodes, version
strings, VINs, ordinary words that jieba tags as names (高峰, 文明, 杨柳).
Records are 30 to :data:`MAX_CHARS` characters long.

Labelling conventions (what a span covers):

* PERSON: the name only. A surname followed by a title (王先生, 欧阳女士,
  陈经理) is labelled as the surname alone (王); a full name with a title
  (张伟主任) is labelled as the full name. Minority names keep their middle dot
  (古丽米拉·艾买提) inside one span.
* PHONE_NUMBER: the whole written form, including +86/0086/(86) prefixes,
  brackets around area codes, dashes and inner spaces.
* CN_BANK_CARD: all digits, including the spaces of a 4-digit grouping.
* CN_LICENSE_PLATE: the whole plate including a middle dot (粤J·12345).
* CN_ADDRESS: from the first administrative level written to the room.

Example:
    >>> from benchmarks.corpus import generate_records
    >>> rec = next(generate_records(1, seed=3))
    >>> sorted(rec) == ["id", "kind", "negatives", "spans", "text"]
    True

CLI::

    python -m benchmarks.corpus --n 10000 --seed 1 -o out.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from recognizers.checksums import (
    gb11643_check_char,
    is_valid_resident_id,
    luhn_check_digit,
    luhn_valid,
    uscc_check_char,
)

__all__ = ["ENTITIES", "KINDS", "MAX_CHARS", "generate_records", "main"]

ENTITIES = (
    "PERSON",
    "CN_RESIDENT_ID",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CN_BANK_CARD",
    "CN_USCC",
    "CN_PASSPORT",
    "CN_LICENSE_PLATE",
    "IP_ADDRESS",
    "CN_ADDRESS",
)

# --------------------------------------------------------------------------- lexicons

_COMMON_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
_RARE_SURNAMES = list(
    "禤冼区仇佘谯亓薄查单解朴乜寇鄢鞠阙蒯逄訾芮晁昝仝邝湛庹蔺揭麦岑滕甘巫骆窦褚柏喻宓靳隗那晏"
    "缪殷饶钭郦蓝卜闵祁詹"
)
_COMPOUND_SURNAMES = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯",
    "尉迟", "公孙", "长孙", "宇文", "轩辕", "端木", "独孤", "南宫", "钟离", "申屠",
    "呼延", "赫连", "闻人", "澹台", "万俟", "西门",
]  # fmt: skip
_GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩鑫婷雪琳晨欣怡梓涵"
    "轩睿子嘉思雨佳俊博一诗紫昊晓志海永德淑凤春秋荣昌福林松琦璇瑶彤悦妍然泽宸昕可心安宁逸晴"
    "旻翀珺赟垚燊淼彧祎玥昀珏喆靓懿骞翊"
)
_UYGHUR_GIVEN = [
    "古丽米拉", "阿依古丽", "买买提", "阿卜杜拉", "艾力", "热依拉", "迪丽娜尔", "努尔艾力",
    "帕提古丽", "吐尔逊", "依明", "艾山", "阿力木", "米热古丽", "再努尔", "阿迪力",
]  # fmt: skip
_UYGHUR_FATHER = [
    "艾买提", "买买提", "吐尔逊", "阿不都", "热合曼", "艾则孜", "托合提", "司马义", "肉孜",
    "玉素甫", "依沙克", "阿布来提",
]  # fmt: skip
_TIBETAN_MONGOL = [
    "扎西次仁", "扎西多吉", "格桑卓玛", "次仁央金", "平措旺堆", "德吉拉姆", "巴特尔",
    "苏日娜", "额尔敦", "宝音图", "其木格", "那仁满都拉",
]  # fmt: skip
_TITLES = ["先生", "女士", "经理", "同志", "主任", "师傅", "老师", "科长", "所长"]
_PINYIN_SUR = ["zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu",
               "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin"]  # fmt: skip
_PINYIN_GIV = ["wei", "fang", "na", "min", "jing", "qiang", "lei", "jun", "yong", "yan", "jie",
               "tao", "ming", "chao", "xia", "hua", "hao", "xin"]  # fmt: skip

# (province, city, [districts], [streets], [towns]); municipalities have an empty
# city; places without towns get no rural (town/village/group) addresses.
_PLACES = [
    ("广东省", "江门市", ["新会区", "台山市", "开平市", "鹤山市", "恩平市"],
     ["会城今古洲路", "冈州大道中", "长沙港口路", "共和路", "恩城新平北路"],
     ["杜阮镇", "棠下镇", "沙堆镇", "大泽镇", "水口镇"]),
    ("广东省", "江门市", ["蓬江区", "江海区"],
     ["建设三路", "迎宾大道", "白沙大道", "港口一路", "跃进路", "胜利路", "东华一路"], []),
    ("广东省", "广州市", ["天河区", "越秀区", "海珠区", "番禺区"],
     ["天河路", "中山五路", "江南大道中", "东风东路", "市桥光明北路"], []),
    ("广东省", "深圳市", ["南山区", "福田区", "宝安区"], ["深南大道", "科苑南路", "新安六路"], []),
    ("浙江省", "温州市", ["永嘉县"], ["瓯北街道双塔路", "上塘镇县前路", "江北街道阳光大道"],
     ["岩头镇", "桥头镇", "大若岩镇", "碧莲镇"]),
    ("浙江省", "温州市", ["鹿城区", "瑞安市"], ["人民东路", "车站大道", "安阳街道万松东路"], []),
    ("浙江省", "杭州市", ["西湖区", "拱墅区", "余杭区"], ["文三路", "莫干山路", "文一西路"], []),
    ("广西壮族自治区", "南宁市", ["青秀区", "兴宁区", "西乡塘区"],
     ["民族大道", "朝阳路", "大学东路", "东葛路"], ["伶俐镇", "南阳镇", "金陵镇"]),
    ("广西壮族自治区", "桂林市", ["秀峰区", "七星区", "阳朔县"], ["中山中路", "七星路"],
     ["白沙镇", "兴坪镇"]),
    ("北京市", "", ["朝阳区", "海淀区", "西城区"], ["朝阳北路", "中关村大街", "西直门南大街"], []),
    ("上海市", "", ["浦东新区", "徐汇区", "静安区"], ["张杨路", "漕溪北路", "南京西路"], []),
    ("四川省", "成都市", ["武侯区", "锦江区"], ["人民南路四段", "红星路三段"], []),
    ("湖北省", "武汉市", ["洪山区", "江汉区"], ["珞喻路", "解放大道"], []),
    ("新疆维吾尔自治区", "乌鲁木齐市", ["天山区", "沙依巴克区"], ["解放南路", "友好北路"], []),
]  # fmt: skip
_ESTATES = ["阳光花园", "滨江华府", "翠苑小区", "锦绣江南", "东湖名苑", "教师新村", "幸福里"]
_VILLAGES = ["石头村", "大塘村", "新华村", "沙坪村", "下洋村", "联和村", "东风村"]

_DIVISIONS = [
    "440703", "440704", "440705", "440781", "440783", "440784", "440785", "440106", "440104",
    "440305", "330324", "330302", "330381", "330106", "450103", "450102", "450302", "110105",
    "110108", "310115", "310104", "320106", "510107", "420111", "370102", "410105", "130102",
    "210102", "500103", "610113", "650102", "540102", "150102",
]  # fmt: skip
_MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "195", "198", "199",
]  # fmt: skip
# (area code, local digits)
_AREA_CODES = [
    ("010", 8), ("020", 8), ("021", 8), ("027", 8), ("028", 8), ("0750", 7), ("0577", 8),
    ("0771", 7), ("0755", 8), ("0773", 7), ("0991", 7),
]  # fmt: skip
_CARD_BINS = ["622202", "622848", "621700", "622700", "621226", "623668", "622588", "621483",
              "622262", "620522", "625807", "628288", "621661", "622908"]  # fmt: skip
_EMAIL_DOMAINS = ["163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "outlook.com",
                  "jiangmen.gov.cn", "yj.gov.cn", "gx.edu.cn", "example.com.cn"]  # fmt: skip
_PLATE_PROVINCES = list("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# GB 11714 organisation codes: mostly digits, some capitals.
_ORG_CODE_CHARS = "0123456789" * 3 + "ABCDEFGHJKLMNPQRTUWXY"
_DOC_NUMBERS = ["江府办函〔{y}〕{n}号", "粤府〔{y}〕{n}号", "永政发〔{y}〕{n}号",
                "桂政办发〔{y}〕{n}号", "江门市公安局〔{y}〕第{n}号", "江人社函〔{y}〕{n}号",
                "({y})粤0703民初{n}号", "国办发〔{y}〕{n}号"]  # fmt: skip
_POSTCODES = ["529000", "529100", "325100", "530022", "100020", "200120", "610041", "830000"]
# Words that jieba's POS tagger marks "nr" (person name) but that are ordinary words
# here; each phrase is a hard negative.
_NR_WORD_PHRASES = ["早晚高峰期间", "创建全国文明城市", "正文字体为宋体", "种植杨柳、梅花",
                    "田园综合体项目", "丁香花园路段", "孔雀鱼养殖户", "四季常青的绿化带",
                    "用电高峰时段", "文明祭扫倡议"]  # fmt: skip
_UNITS = ["江门市蓬江区人民政府", "永嘉县数据资源管理局", "江门市人力资源和社会保障局",
          "南宁市不动产登记中心", "江海区市场监督管理局", "温州市公安局交通警察支队"]  # fmt: skip
_COMPANIES = ["江门市恒信科技有限公司", "永嘉县瓯江建材有限公司", "广西桂通物流有限公司",
              "深圳市云帆数据服务有限公司", "杭州澜池信息技术有限公司",
              "开平市侨乡食品厂"]  # fmt: skip

_PHONE_BRACKETS = [("，电话", "，"), ("（手机：", "）"), (" 联系电话:", "。"), ("，", "，"),
                   ("(tel:", ")，")]  # fmt: skip
_VEHICLE_TYPES = ["小型轿车", "小型普通客车", "重型货车", "纯电动轿车"]
_ID_BRACKETS = [("（身份证号：", "），"), ("，身份证号码", "，"), ("，公民身份号码：", "，"),
                ("(ID:", ")，"), ("(身份证 ", ")")]  # fmt: skip

# Day numbers (days since 1970-01-01) bounding generated dates and timestamps.
_DAY_2015, _DAY_2019, _DAY_2026 = 16_436, 17_897, 20_454

_FULLWIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")

MAX_CHARS = 400
"""No record is longer than this (the shortest templates give about 50)."""

KINDS = (
    "application",
    "petition",
    "notice",
    "contract",
    "payment",
    "access_log",
    "household",
    "vehicle",
)

T = TypeVar("T")
Val = tuple[str, str | None]
"""A piece of text and its tag: an entity name, ``~KIND`` for a hard negative, or None."""


class _Doc:
    """Accumulates text while recording gold spans and hard-negative spans."""

    __slots__ = ("negatives", "spans", "text")

    def __init__(self) -> None:
        self.text = ""
        self.spans: list[list[int | str]] = []
        self.negatives: list[list[int | str]] = []

    def t(self, s: str) -> None:
        self.text += s

    def v(self, val: Val) -> None:
        s, tag = val
        if tag is not None:
            start = len(self.text)
            if tag[0] == "~":
                self.negatives.append([start, start + len(s), tag[1:]])
            else:
                self.spans.append([start, start + len(s), tag])
        self.text += s


class _Gen:
    """Value generators and record templates sharing one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        rand = self._rand = self.r.random

        # random.choice/randint cost several Python frames per call; these helpers on
        # random() are plain closures (no method binding) and keep generation above
        # 20K records/s while staying deterministic per seed.
        def c(seq: Sequence[T]) -> T:
            return seq[int(rand() * len(seq))]

        def i(a: int, b: int) -> int:
            return a + int(rand() * (b - a + 1))

        self.c = c
        self.i = i

    def digits(self, k: int) -> str:
        """Returns ``k`` random decimal digits (leading zeros allowed)."""
        out = ""
        while k > 0:
            step = min(k, 9)
            out += f"{int(self._rand() * 10**step):0{step}d}"
            k -= step
        return out

    # ------------------------------------------------------------------ people
    def name(self) -> str:
        r = self.r
        x = r.random()
        if x < 0.04:
            if r.random() < 0.7:
                return f"{self.c(_UYGHUR_GIVEN)}·{self.c(_UYGHUR_FATHER)}"
            return self.c(_TIBETAN_MONGOL)
        if x < 0.80:
            sur = self.c(_COMMON_SURNAMES)
        elif x < 0.91:
            sur = self.c(_RARE_SURNAMES)
        else:
            sur = self.c(_COMPOUND_SURNAMES)
        n = 1 if r.random() < 0.35 else 2
        return sur + (self.c(_GIVEN) if n == 1 else self.c(_GIVEN) + self.c(_GIVEN))

    def surname(self) -> str:
        r = self.r
        return self.c(_COMPOUND_SURNAMES) if r.random() < 0.12 else self.c(_COMMON_SURNAMES)

    def person(self, d: _Doc) -> None:
        """Writes a name, sometimes with a title (only the name part is labelled)."""
        r = self.r
        x = r.random()
        if x < 0.12:
            d.v((self.surname(), "PERSON"))
            d.t(self.c(_TITLES))
        elif x < 0.18:
            d.v((self.name(), "PERSON"))
            d.t(self.c(_TITLES))
        else:
            d.v((self.name(), "PERSON"))

    def name_list(self, d: _Doc, k: int) -> None:
        sep = self.c(["、", "、", "，", ",", " ", "；"])
        for i in range(k):
            if i:
                d.t(sep)
            d.v((self.name(), "PERSON"))

    # ------------------------------------------------------------------ identifiers
    def resident_id(self) -> Val:
        r = self.r
        first17 = (
            f"{self.c(_DIVISIONS)}{self.i(1940, 2016):04d}{self.i(1, 12):02d}"
            f"{self.i(1, 28):02d}{self.i(0, 999):03d}"
        )
        s = first17 + gb11643_check_char(first17)
        if s[-1] == "X" and r.random() < 0.15:
            s = s[:-1] + "x"
        if r.random() < 0.02:
            s = s.translate(_FULLWIDTH)
        return s, "CN_RESIDENT_ID"

    def mobile_digits(self) -> str:
        return self.c(_MOBILE_PREFIXES) + self.digits(8)

    def phone(self) -> Val:
        r = self.r
        if r.random() < 0.25:
            code, n = self.c(_AREA_CODES)
            local = str(self.i(2, 8)) + self.digits(n - 1)
            form = self.i(0, 4)
            if form == 0:
                s = f"{code}-{local}"
            elif form == 1:
                s = f"({code}){local}"
            elif form == 2:
                s = f"（{code}）{local}"
            elif form == 3:
                s = f"{code} {local}"
            else:
                s = f"+86-{code[1:]}-{local}"
            return s, "PHONE_NUMBER"
        m = self.mobile_digits()
        a, b, c = m[:3], m[3:7], m[7:]
        s = self.c(
            [
                m, m, m, f"{a}-{b}-{c}", f"{a} {b} {c}", f"+86 {a} {b} {c}", f"+86{m}",
                f"+86-{m}", f"0086-{m}", f"0086 {m}", f"(86){m}", f"（+86）{m}", f"+86 {m}",
            ]
        )  # fmt: skip
        if r.random() < 0.05:
            s = s.translate(_FULLWIDTH)
        return s, "PHONE_NUMBER"

    def email(self) -> Val:
        r = self.r
        dom = self.c(_EMAIL_DOMAINS)
        if dom == "qq.com" and r.random() < 0.7:
            local = str(self.i(10000, 3999999999))
        else:
            local = self.c(_PINYIN_SUR) + self.c(["", ".", "_"]) + self.c(_PINYIN_GIV)
            if r.random() < 0.5:
                local += str(self.i(1, 2024))
        return f"{local}@{dom}", "EMAIL_ADDRESS"

    def card_digits(self) -> str:
        r = self.r
        x = r.random()
        if x < 0.85:
            prefix, length = self.c(_CARD_BINS), self.c((16, 16, 17, 18, 19, 19, 19))
        else:
            prefix, length = self.c(("4", "5")) + str(self.i(1, 5)), 16
        body = prefix + self.digits(length - len(prefix) - 1)
        return body + luhn_check_digit(body)

    def bank_card(self) -> Val:
        digits = self.card_digits()
        if self.r.random() < 0.3:
            digits = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
        return digits, "CN_BANK_CARD"

    def uscc(self) -> Val:
        head = self.c("9995115") + self.c("1123")
        body = "".join([self.c(_ORG_CODE_CHARS) for _ in range(8)])
        weights = (3, 7, 9, 10, 5, 8, 4, 2)
        total = sum(int(ch, 36) * w for ch, w in zip(body, weights, strict=True))
        c = 11 - total % 11
        org = body + ("X" if c == 10 else "0" if c == 11 else str(c))
        first17 = head + self.c(_DIVISIONS) + org
        return first17 + uscc_check_char(first17), "CN_USCC"

    def passport(self) -> Val:
        r = self.r
        x = r.random()
        if x < 0.5:
            s = "E" + str(self.i(1, 9)) + f"{self.digits(7)}"
        elif x < 0.8:
            s = "E" + self.c("ABCDEFGHJKLMNPQRSTUVWXYZ") + f"{self.digits(7)}"
        else:
            s = "G" + str(self.i(1, 9)) + f"{self.digits(7)}"
        return s, "CN_PASSPORT"

    def plate(self) -> Val:
        r = self.r
        head = self.c(_PLATE_PROVINCES) + self.c(_PLATE_LETTERS)
        if r.random() < 0.2:
            tail = self.c("DF") + f"{self.digits(5)}"
        else:
            chars = list(self.digits(5))
            if r.random() < 0.4:
                chars[self.i(0, 4)] = self.c(_PLATE_LETTERS)
            tail = "".join(chars)
        sep = self.c(("", "", "", "·", " "))
        return head + sep + tail, "CN_LICENSE_PLATE"

    def ip(self) -> Val:
        r = self.r
        x = r.random()
        if x < 0.75:
            first = self.c((10, 172, 192, 58, 113, 120, 183, 218, 221, 36))
            s = f"{first}.{self.i(0, 255)}.{self.i(0, 255)}.{self.i(1, 254)}"
        else:
            groups = [f"{self.i(0, 0xFFFF):x}" for _ in range(8)]
            groups[0] = self.c(("2408", "240e", "2409", "fe80", "2001:db8"))
            if groups[0] == "2001:db8":
                groups = ["2001", "db8", *groups[2:]]
            if r.random() < 0.6:
                s = ":".join(groups[:3]) + "::" + ":".join(groups[6:])
            else:
                s = ":".join(groups)
        return s, "IP_ADDRESS"

    def address(self) -> Val:
        r = self.r
        prov, city, districts, streets, towns = self.c(_PLACES)
        parts = []
        lvl = r.random()
        if lvl < 0.6 or not city:
            parts.append(prov)
        if city:
            parts.append(city)
        parts.append(self.c(districts))
        if towns and r.random() < 0.5:
            parts += [self.c(towns), self.c(_VILLAGES), f"{self.i(1, 12)}组"]
            parts.append(f"{self.i(1, 200)}号")
        else:
            parts.append(self.c(streets))
            parts.append(f"{self.i(1, 999)}号")
            y = r.random()
            if y < 0.5:
                parts.append(self.c(_ESTATES))
                parts.append(f"{self.i(1, 30)}{self.c('栋幢座')}")
                if r.random() < 0.5:
                    parts.append(f"{self.i(1, 4)}单元")
                parts.append(f"{self.i(1, 33)}{self.i(1, 8):02d}{self.c(('室', '房', ''))}")
            elif y < 0.7:
                parts.append(f"{self.i(1, 30)}楼")
        return "".join(parts), "CN_ADDRESS"

    # ------------------------------------------------------------------ hard negatives
    def order_no(self) -> Val:
        while True:
            s = f"{self.i(2019, 2025)}{self.i(1, 12):02d}{self.i(1, 28):02d}"
            s += f"{self.digits(10)}"
            if not is_valid_resident_id(s):
                return s, "~ORDER_NO"

    def long_digits(self) -> Val:
        k = self.i(20, 32)
        return str(self.i(1, 9)) + self.digits(k - 1), "~LONG_DIGITS"

    def invoice_no(self) -> Val:
        while True:
            s = self.digits(16)
            if not luhn_valid(s):
                return s, "~INVOICE_NO"

    def date(self) -> Val:
        t = time.gmtime(self.i(_DAY_2015, _DAY_2026) * 86_400)
        y, m, d = t.tm_year, t.tm_mon, t.tm_mday
        form = self.i(0, 3)
        if form == 0:
            s = f"{y}-{m:02d}-{d:02d}"
        elif form == 1:
            s = f"{y}年{m}月{d}日"
        elif form == 2:
            s = f"{y}/{m:02d}/{d:02d}"
        else:
            s = f"{y}{m:02d}{d:02d}"
        return s, "~DATE"

    def timestamp(self) -> Val:
        secs = self.i(_DAY_2019 * 86_400, _DAY_2026 * 86_400)
        form = self.i(0, 4)
        if form == 3:
            return str(secs), "~TIMESTAMP"
        if form == 4:
            return str(secs * 1000 + self.i(0, 999)), "~TIMESTAMP"
        t = time.gmtime(secs)
        day = f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        if form == 0:
            s = f"{day} {clock}"
        elif form == 1:
            s = f"{day}T{clock}+08:00"
        else:
            s = (day + clock).replace("-", "").replace(":", "")
        return s, "~TIMESTAMP"

    def amount(self) -> Val:
        v = self.i(1, 99_999_999) / 100
        return self.c((f"¥{v:,.2f}", f"{v:.2f}元", f"{v:,.2f}", f"人民币{v:.2f}元")), "~AMOUNT"

    def doc_no(self) -> Val:
        s = self.c(_DOC_NUMBERS).format(y=self.i(2015, 2025), n=self.i(1, 300))
        return s, "~DOC_NO"

    def postcode(self) -> Val:
        return self.c(_POSTCODES), "~POSTCODE"

    def version(self) -> Val:
        s = f"{self.i(1, 12)}.{self.i(0, 30)}.{self.i(0, 20000)}"
        return (self.c(("v", "V", "")) + s), "~VERSION"

    def vin(self) -> Val:
        chars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
        return "L" + "".join([self.c(chars) for _ in range(10)]) + self.digits(6), "~VIN"

    def nr_word(self) -> Val:
        return self.c(_NR_WORD_PHRASES), "~NR_WORD"

    # ------------------------------------------------------------------ layout helpers
    def style(self) -> tuple[str, str]:
        """Picks a key/value separator and a field delimiter for one record."""
        sep = self.c(("：", "：", ":", ": ", " ", "\t", "｜"))
        if sep in (" ", "\t"):
            delim = self.c(("\n", "；", " | ", "，"))
        else:
            delim = self.c(("\n", "\n", "；", "，", " ", "\t", " | ", "|"))
        return sep, delim

    def fields(self, d: _Doc, items: list[tuple[str, Callable[[], Val]]]) -> None:
        sep, delim = self.style()
        for i, (key, make) in enumerate(items):
            if i:
                d.t(delim)
            d.t(key + sep)
            d.v(make())

    def person_val(self) -> Val:
        return self.name(), "PERSON"

    def plain(self, s: str) -> Callable[[], Val]:
        return lambda: (s, None)

    # ------------------------------------------------------------------ record kinds
    def application(self, d: _Doc) -> None:
        r = self.r
        if r.random() < 0.5:
            d.t(self.c(("政府信息公开申请表", "【申请表】", "最低生活保障申请", "出入境证件申请")))
            d.t(self.c(("\n", " ", "：")))
            items: list[tuple[str, Callable[[], Val]]] = [
                (self.c(("申请人", "姓名", "申请人姓名")), self.person_val)
            ]
            if r.random() < 0.5:
                items.append(("性别", self.plain(self.c("男女"))))
            if r.random() < 0.4:
                items.append(("出生日期", self.date))
            if r.random() < 0.2:
                items.append(("证件类型", self.plain("护照")))
                items.append(("证件号码", self.passport))
            else:
                items.append((self.c(("身份证号", "公民身份号码", "证件号码")), self.resident_id))
            items.append((self.c(("联系电话", "手机", "电话")), self.phone))
            if r.random() < 0.4:
                items.append(("电子邮箱", self.email))
            items.append((self.c(("通讯地址", "住址", "联系地址")), self.address))
            if r.random() < 0.3:
                items.append(("邮政编码", self.postcode))
            items.append(("申请日期", self.date))
            if r.random() < 0.5:
                items.append(("受理编号", self.order_no))
            if r.random() < 0.2:
                middle = items[1:-1]
                self.r.shuffle(middle)
                items[1:-1] = middle
            self.fields(d, items)
        else:
            d.t("本人")
            self.person(d)
            opening, closing = self.c(_ID_BRACKETS)
            d.t(opening)
            d.v(self.resident_id())
            d.t(closing + self.c(("现住", "住", "户籍地址：")))
            d.v(self.address())
            d.t("，因" + self.c(("家庭困难", "子女入学", "办理不动产登记", "申请公租房")))
            d.t("，特申请" + self.c(("查阅相关档案", "公开相关政府信息", "领取补贴")) + "。")
            d.t(self.c(("联系电话：", "联系方式 ", "电话:")))
            d.v(self.phone())
            d.t("。")
            if r.random() < 0.5:
                d.t("申请日期：")
                d.v(self.date())

    def petition(self, d: _Doc) -> None:
        r = self.r
        d.t(self.c(("来信人", "投诉人", "信访人", "反映人", "")))
        self.person(d)
        opening, closing = self.c(_PHONE_BRACKETS)
        d.t(opening)
        d.v(self.phone())
        d.t(closing)
        d.t("反映其于")
        d.v(self.date())
        d.t(self.c(("在", "前往")))
        d.t(self.c(_UNITS))
        d.t(self.c(("办理业务时，工作人员", "窗口咨询时，", "申请补贴过程中，经办人")))
        self.person(d)
        d.t(self.c(("态度生硬", "未一次性告知所需材料", "拖延办理")))
        d.t("。")
        if r.random() < 0.5:
            d.t("同行的还有")
            self.name_list(d, self.i(1, 3))
            d.t("。")
        if r.random() < 0.4:
            d.t("其住址为")
            d.v(self.address())
            d.t("，")
        if r.random() < 0.4:
            d.t("根据")
            d.v(self.doc_no())
            d.t("文件要求，")
        if r.random() < 0.3:
            d.t("现场正值")
            d.v(self.nr_word())
            d.t("，")
        d.t(self.c(("请求依法处理。", "要求答复。", "希望尽快解决。")))
        if r.random() < 0.3:
            d.t("邮箱：")
            d.v(self.email())
        if r.random() < 0.4:
            d.t(self.c(("\n信访编号：", " 件号 ")))
            d.v(self.order_no())

    def notice(self, d: _Doc) -> None:
        r = self.r
        d.t(f"关于{self.i(2019, 2025)}年度")
        d.t(self.c(("高龄津贴", "就业补贴", "公租房配租", "先进个人评选", "耕地地力保护补贴")))
        d.t(self.c(("拟发放名单的公示", "结果的公示", "的通知")))
        d.t(self.c(("\n", " ", "　")))
        if r.random() < 0.5:
            d.t("经审核，以下人员符合条件：")
            self.name_list(d, self.i(2, 10))
            d.t("。")
        else:
            col, with_id = self.c((("\t", False), ("|", True), (" ", False), ("\t", True)))
            d.t(
                col.join(
                    ("序号", "姓名", "身份证号", "金额") if with_id else ("序号", "姓名", "金额")
                )
            )
            d.t("\n")
            for i in range(self.i(1, 5)):
                d.t(f"{i + 1}{col}")
                d.v(self.person_val())
                d.t(col)
                if with_id:
                    d.v(self.resident_id())
                    d.t(col)
                d.v(self.amount())
                d.t("\n")
        if r.random() < 0.5:
            d.t("公示期为")
            d.v(self.date())
            d.t("至")
            d.v(self.date())
            d.t("。")
        lead = self.c(("如有异议，请联系：", "监督电话：", "联系人："))
        d.t(lead)
        if lead == "联系人：":
            self.person(d)
            d.t(self.c(("，电话", " ")))
        d.v(self.phone())
        if r.random() < 0.4:
            d.t("\n")
            d.t(self.c(_UNITS))
            d.t(" ")
            d.v(self.date())
        if r.random() < 0.3:
            d.t("（")
            d.v(self.doc_no())
            d.t("）")

    def contract(self, d: _Doc) -> None:
        r = self.r
        sep, delim = self.style()
        d.t(self.c(("甲方", "甲方（出租方）", "委托方")) + sep + self.c(_COMPANIES) + delim)
        d.t("统一社会信用代码" + sep)
        d.v(self.uscc())
        d.t(delim + "法定代表人" + sep)
        d.v(self.person_val())
        d.t(delim + self.c(("乙方", "乙方（承租方）", "受托方")) + sep)
        d.v(self.person_val())
        d.t(delim + "身份证号" + sep)
        d.v(self.resident_id())
        if r.random() < 0.6:
            d.t(delim + "住所" + sep)
            d.v(self.address())
        d.t(delim + "联系电话" + sep)
        d.v(self.phone())
        if r.random() < 0.6:
            bank = self.c(("中国工商银行江门分行", "农业银行永嘉支行", "建设银行"))
            d.t(delim + "开户行" + sep + bank)
            d.t(delim + self.c(("账号", "银行账号", "收款账户")) + sep)
            d.v(self.bank_card())
        d.t(delim + "合同金额" + sep)
        d.v(self.amount())
        if r.random() < 0.5:
            d.t(delim + "签订日期" + sep)
            d.v(self.date())
        if r.random() < 0.3:
            d.t(delim + "合同编号" + sep)
            d.v(self.order_no())

    def payment(self, d: _Doc) -> None:
        r = self.r
        if r.random() < 0.5:
            col = self.c((" | ", "|", "\t", ","))
            for _ in range(self.i(1, 3)):
                d.v(self.timestamp())
                d.t(col + self.c(("流水号 ", "txn=", "")))
                d.v(self.c((self.long_digits, self.order_no))())
                d.t(col + self.c(("付款人 ", "")))
                d.v(self.person_val())
                d.t(col + self.c(("卡号 ", "")))
                d.v(self.bank_card())
                d.t(col)
                d.v(self.amount())
                d.t(col + self.c(("成功", "SUCCESS", "失败", "已退款")) + "\n")
        else:
            d.t(self.c(("缴费记录：", "转账凭证 ", "【社保缴费】")))
            d.t(self.c(("户名", "缴费人", "付款户名")))
            d.t(self.c(("：", ":", " ")))
            d.v(self.person_val())
            d.t(self.c(("，缴费账号", "，账号", "；卡号")))
            d.v(self.bank_card())
            d.t("，金额")
            d.v(self.amount())
            d.t("，时间")
            d.v(self.timestamp())
            if r.random() < 0.5:
                d.t("，发票号码")
                d.v(self.invoice_no())
            if r.random() < 0.4:
                d.t("，收款单位")
                d.t(self.c(_COMPANIES))
                d.t("（")
                d.v(self.uscc())
                d.t("）")
            d.t("。")

    def access_log(self, d: _Doc) -> None:
        r = self.r
        for _ in range(self.i(1, 3)):
            if r.random() < 0.5:
                d.t("ts=")
                d.v(self.timestamp())
                d.t(f" level={self.c(('INFO', 'WARN', 'DEBUG'))} uid={self.i(1, 99999)} ")
                d.t("ip=")
                d.v(self.ip())
                d.t(" action=" + self.c(("query_person", "export", "login", "verify_id")))
                x = r.random()
                if x < 0.3:
                    d.t(" phone=")
                    d.v(self.phone())
                elif x < 0.5:
                    d.t(" card=")
                    d.v((self.card_digits(), "CN_BANK_CARD"))
                elif x < 0.7:
                    d.t(" id_no=")
                    d.v(self.resident_id())
                elif x < 0.85:
                    d.t(" name=")
                    d.v(self.person_val())
                else:
                    d.t(" email=")
                    d.v(self.email())
                d.t(" client=")
                d.v(self.version())
                d.t("\n")
            else:
                d.v(self.ip())
                d.t(" - - [")
                d.v(self.timestamp())
                d.t('] "GET /api/v1/person?')
                if r.random() < 0.5:
                    d.t("mobile=")
                    d.v((self.mobile_digits(), "PHONE_NUMBER"))
                else:
                    d.t("trace=")
                    d.v(self.long_digits())
                d.t(f' HTTP/1.1" {self.c((200, 200, 403, 404, 500))} {self.i(100, 99999)}\n')

    def household(self, d: _Doc) -> None:
        r = self.r
        items: list[tuple[str, Callable[[], Val]]] = [
            (self.c(("户主", "户主姓名", "参保人")), self.person_val),
            (self.c(("公民身份号码", "身份证号", "社会保障号码")), self.resident_id),
        ]
        if r.random() < 0.5:
            items.append(("与户主关系", self.plain(self.c(("本人", "配偶", "子", "女")))))
        items.append((self.c(("住址", "户籍地址", "常住地址")), self.address))
        if r.random() < 0.4:
            items.append(("邮编", self.postcode))
        if r.random() < 0.5:
            items.append(("参保单位", self.plain(self.c(_COMPANIES))))
            items.append(("单位统一社会信用代码", self.uscc))
            items.append(("缴费基数", self.amount))
        if r.random() < 0.4:
            items.append(("社保卡银行账号", self.bank_card))
        if r.random() < 0.3:
            items.append(("护照号", self.passport))
        if r.random() < 0.5:
            items.append(("联系电话", self.phone))
        if r.random() < 0.3:
            items.append(("登记日期", self.date))
        self.fields(d, items)
        if r.random() < 0.4:
            d.t("\n家庭成员：")
            self.name_list(d, self.i(1, 4))

    def vehicle(self, d: _Doc) -> None:
        r = self.r
        items: list[tuple[str, Callable[[], Val]]] = [
            (self.c(("号牌号码", "车牌号", "车牌")), self.plate),
            ("车辆类型", self.plain(self.c(_VEHICLE_TYPES))),
            (self.c(("所有人", "机动车所有人", "车主")), self.person_val),
            ("身份证明号码", self.resident_id),
        ]
        if r.random() < 0.6:
            items.append(("车辆识别代号", self.vin))
        if r.random() < 0.5:
            items.append(("住所地址", self.address))
        items.append(("联系电话", self.phone))
        if r.random() < 0.5:
            items.append(("违法时间", self.timestamp))
            items.append(("罚款金额", self.amount))
        if r.random() < 0.3:
            items.append(("决定书编号", self.order_no))
        self.fields(d, items)
        if r.random() < 0.3:
            d.t("。处理民警：")
            d.v(self.person_val())

    # ------------------------------------------------------------------ driver
    def record(self, i: int) -> dict:
        kind = self.c(KINDS)
        d = _Doc()
        getattr(self, kind)(d)
        while len(d.text) > MAX_CHARS:  # rare (multi-line logs); draw again, same kind
            d = _Doc()
            getattr(self, kind)(d)
        return {
            "id": i,
            "kind": kind,
            "text": d.text,
            "spans": d.spans,
            "negatives": d.negatives,
        }


def generate_records(n: int, seed: int = 0) -> Iterator[dict]:
    """Yields ``n`` synthetic government records with gold PII spans.

    Deterministic: the same ``n`` and ``seed`` always give the same records, and a
    shorter run is a prefix of a longer one with the same seed.

    Args:
        n: Number of records.
        seed: Seed of the random generator.

    Yields:
        Dicts with ``id``, ``kind``, ``text``, ``spans`` (``[start, end, ENTITY]``,
        sorted, non-overlapping) and ``negatives`` (``[start, end, KIND]`` hard
        negatives that must not be detected).
    """
    gen = _Gen(seed)
    for i in range(n):
        yield gen.record(i)


def main(argv: list[str] | None = None) -> int:
    """Writes a generated corpus as JSON Lines (one record per line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of records")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        for rec in generate_records(args.n, args.seed):
            out.write(json.dumps(rec, ensure_ascii=False))
            out.write("\n")
    finally:
        if args.output:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
