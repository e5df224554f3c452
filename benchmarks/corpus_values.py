"""Value generators of the benchmark corpus (:mod:`benchmarks.corpus`).

Names (common, rare, compound surnames; minority names with a middle dot;
pinyin), identifiers that pass their checksums (resident IDs, USCCs, bank
cards), phones in their written forms, addresses, plates, e-mail and IP
addresses, and the hard negatives next to them (order and invoice numbers
that fail the checks, dates, amounts, document numbers, words jieba tags as
names). Each value comes with its tag (:data:`Val`); :class:`Doc` records
where tagged values land in a text. All draws come from one seeded RNG, so a
seed gives the same values in the same order.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from recognizers.checksums import (
    gb11643_check_char,
    is_valid_resident_id,
    luhn_check_digit,
    luhn_valid,
    uscc_check_char,
)

__all__ = ["Doc", "Val", "Values"]

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
# Day numbers (days since 1970-01-01) bounding generated dates and timestamps.
_DAY_2015, _DAY_2019, _DAY_2026 = 16_436, 17_897, 20_454

_FULLWIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")

T = TypeVar("T")
Val = tuple[str, str | None]
"""A piece of text and its tag: an entity name, ``~KIND`` for a hard negative, or None."""


class Doc:
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


class Values:
    """Value generators sharing one seeded RNG; the record templates build on them."""

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

    def person(self, d: Doc) -> None:
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

    def name_list(self, d: Doc, k: int) -> None:
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

    def fields(self, d: Doc, items: list[tuple[str, Callable[[], Val]]]) -> None:
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
