"""Synthetic training sentences for the PERSON tagger.

CLUENER is news prose. Public-sector records look different: forms
("申请人：欧阳明辉，身份证号…"), contact lines, lists of attendees, log lines,
and tables whose cells hold a bare name. Government prose, on the other hand,
is full of words jieba tags as names (建立健全, 严格执行, 脱敏) and of document
numbers (温政办〔2021〕12号) that a news-trained model has never seen.

:func:`generate` writes both kinds: record-style sentences with labelled names
(single and compound surnames, 1- and 2-character given names, minority names
with a middle dot, names in 、-separated lists, names with no context word) and
name-free government sentences that teach the model what is *not* a name.
Everything is drawn from the lists below with a seeded RNG; no real person's
data is used. This module is for training only and is separate from the
benchmark corpus generator (``benchmarks/corpus.py``).

Example:
    >>> recs = generate(n=3, seed=1)
    >>> sorted(recs[0])
    ['spans', 'text']
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from recognizers.person.lexicon import read_word_list

__all__ = ["generate", "swap_names"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Characters common in modern given names.
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲飞鹏斌宇浩凯辉建国志"
    "文婷雪琳晨欣怡佳琪子涵梓轩博睿一诺雨欣思彤俊杰嘉豪子豪宇航浩然天佑家乐晓东"
    "海燕春梅冬梅秋菊立新卫东振华永强德胜光明国庆红梅丽娟淑珍美玲慧敏晓丽建平小龙"
    "丹蕾颖倩璐瑶琴莉蓉薇媛妍馨蕊菲璇茜露莹萱楠柳彬昊晗铭翔鑫磊峰亮锋坤毅森林松"
    "宏伟兵健伦斌源新泽宁诚正清荣安富贵福祥瑞旭阳晖晶冰洁霖雯昕悦怡彦琦舒"
    # Characters frequent in names given since the 1990s.
    "翀祎喆珺淼垚彧赟旻玥珏靓宸芮嫣婧妤琰瑾璟熠烨煜晟皓骁骏韬珩桐沐芊芸钰"
    "琳琪锦霏蔓璇曦睿恺铠翊昱晞晔弈奕翌宥朗峻嵘崧堃鑫垒森焱犇"
)
# Syllables of Uyghur/Kazakh names written in Chinese, joined with a middle dot.
_MINORITY = _words(
    "米热古丽 艾则孜 迪丽热巴 热娜 帕提古丽 阿曼 吐逊 亚库甫 买合木提 "
    "阿布力孜 艾合买提 努尔买买提 伊敏 斯迪克 阿依夏 祖丽皮亚 玛依拉 "
    "古丽米拉 艾买提 阿不都 热依拉 买买提 吐尔逊 阿依古丽 帕尔哈提 努尔 "
    "迪丽娜尔 艾力 依明 热合曼 阿布都拉 玉素甫 阿卜杜 肉孜 托合提 萨迪克 "
    "阿迪力 努尔古丽 热孜万古丽 再努尔 木合塔尔 阿里木 哈力克 库尔班 "
    "吾斯曼 沙吾提 伊力哈木 阿依努尔 加娜尔 别克 巴合提 叶尔兰 阿斯哈尔 "
    "古力巴哈尔 米娜瓦尔 排尔哈提 塔依尔 亚森 卡德尔 阿力木江 "
)
# Tibetan and Mongolian names, usually written without a dot.
_NO_DOT = _words(
    "那仁满都拉 乌力吉 巴雅尔 苏日娜 额尔德尼 敖登格日勒 哈斯巴根 特木尔 孟和 "
    "图门巴雅尔 布和 索朗次仁 尼玛扎西 格桑卓嘎 "
    "扎西顿珠 次仁卓玛 格桑梅朵 旦增 央金 洛桑 达瓦 拉巴次仁 巴特尔 乌兰 "
    "其木格 斯琴高娃 那日苏 额尔敦 图雅 苏和 阿拉坦 朝鲁 宝音 格日勒 "
)
_ORGS = _words(
    "市人民政府办公室 区政务服务中心 县人力资源和社会保障局 市数据资源管理局 "
    "街道办事处 市场监督管理局 市卫生健康委员会 区住房和城乡建设局 县公安局 "
    "市民政局 市教育局 市信访局 区财政局 市交通运输局 镇人民政府 "
    "市生态环境局 区司法局 "
)
# Cities, many starting with a surname character (马鞍山, 乌鲁木齐): hard negatives.
_CITIES = _words(
    "江门 温州 杭州 广州 佛山 东莞 南京 苏州 成都 武汉 西安 长沙 郑州 济南 合肥 昆明 "
    "乌鲁木齐 呼和浩特 石家庄 哈尔滨 齐齐哈尔 牡丹江 张家口 连云港 秦皇岛 马鞍山 "
    "景德镇 平顶山 驻马店 攀枝花 喀什 伊宁 库尔勒 包头 鄂尔多斯 金华 韶关 汕头 "
    "常州 徐州 洛阳 贵阳 南宁 海口 兰州 银川 西宁 拉萨 太原 沈阳 长春 福州 厦门"
)
_STREETS = _words("人民路 解放路 建设路 中山路 胜利街 和平路 新华街 文化路 滨江路 朝阳路 ")
_KEYS = _words(
    "申请人 申请人姓名 户主 户主姓名 参保人 机动车所有人 车主 受托方 委托方 法定代表人 "
    "承租方 出租方 姓名 经办人 联系人 收款人 付款人 持卡人 监护人 被监护人 家庭成员 "
    "负责人 报案人 当事人 借款人 担保人 驾驶人 操作员 用户名 审核人 签收人"
)
_COMPLAINTS = _words("拖延办理 态度生硬 未一次性告知 推诿扯皮 乱收费 服务不规范 不予受理")
_TITLES = _words("先生 女士 同志 经理 主任 局长 科长 老师 医生 律师 书记 处长 ")
_ISSUES = _words(
    "小区噪音扰民 道路积水 物业收费不合理 停车难 拖欠工资 违章搭建 油烟污染 "
    "学位申请 社保转移 公积金提取 户籍迁移 医保报销 "
)

# Name-free government prose: words jieba tags as names, document numbers,
# organisation names and markup. Each is a complete sentence or fragment.
_GOV_TEMPLATES = (
    "各地各部门要建立健全数据安全管理制度，严格执行个人信息脱敏要求。",
    "对涉及个人隐私的数据，应当在共享前进行脱敏处理。",
    "根据{city}市人民政府办公室《关于印发{city}市政务数据管理办法的通知》（{doc}〔{year}〕{num}号）精神，",
    "现将有关事项通知如下：一、严格执行政务公开制度；二、建立健全政民互动机制。",
    "{org}负责统筹推进全市政务数据资源整合共享工作。",
    "进一步完善政民互动平台，及时回应群众关切。",
    "各单位要认真贯彻落实，严格执行请示报告制度，确保各项工作落到实处。",
    "本办法自{year}年{m}月{d}日起施行，由{city}市{org}负责解释。",
    "附件：{city}市公共数据分类分级指南（试行）",
    "抄送：市委办公室，市人大常委会办公室，市政协办公室。",
    "{doc}〔{year}〕{num}号",
    "{city}市人民政府办公室 {year}年{m}月{d}日印发",
    "<p>为规范政务数据脱敏工作，制定本规范。</p>",
    '<div class="content">建立健全数据分级分类保护制度</div>',
    "&nbsp;&nbsp;第{num}条 数据处理者应当依法履行数据安全保护义务。",
    "坚持以人民为中心的发展思想，全面深化改革，推动高质量发展。",
    "加强统筹协调，压实主体责任，形成工作合力。",
    "数据资源管理局会同有关部门制定公共数据开放目录。",
    "依申请公开的政府信息，由{org}依法予以答复。",
    "对违反本办法规定的，由有关主管部门责令改正，依法追究责任。",
    "深入推进“放管服”改革，优化营商环境，提升政务服务效能。",
    "强化考核评估，将数据共享开放工作纳入年度绩效考核。",
    "鼓励社会力量参与公共数据开发利用，培育数据要素市场。",
    "各县（市、区）人民政府，市政府各部门、各直属机构：",
    "经市政府同意，现将《{city}市政务服务事项清单》印发给你们，请认真组织实施。",
    "第{num}章 附则",
    "严格落实安全生产责任制，坚决遏制重特大事故发生。",
    "做好疫情防控常态化工作，加强重点人群健康监测。",
    "推进一网通办，实现高频事项跨省通办。",
    "健全完善信用监管体系，依法依规实施联合惩戒。",
)


# Building blocks of policy sentences ("各单位要加强统筹协调，健全河长制…").
_GOV_SUBJECTS = _words(
    "各地 各部门 各单位 各级政府 各区县 市直各部门 有关部门 主管部门 "
    "全市上下 各级领导干部 各乡镇 各街道 相关单位 责任单位 牵头单位"
)
_GOV_VERBS = _words(
    "加强 强化 推进 推动 深化 落实 完善 健全 建立 建立健全 严格执行 严格落实 "
    "规范 优化 提升 巩固 拓展 统筹 压实 夯实 加快 扎实推进 持续深化 全面推行 "
    "切实加强 认真贯彻 贯彻落实 大力弘扬 积极探索 稳步推进 着力构建 依法实施"
)
_GOV_OBJECTS = _words(
    "河长制 林长制 湖长制 路长制 田长制 首问负责制 责任制 安全生产责任制 "
    "数据脱敏 脱敏处理 政民互动 政务公开 营商环境 放管服改革 一网通办 一网统管 "
    "统筹协调 组织领导 督查问责 考核评估 信用监管 联合惩戒 容错纠错机制 "
    "网格化管理 基层治理 乡村振兴 生态环境保护 安全生产监管 疫情防控 "
    "公共数据开放 数据共享 个人信息保护 行政执法公示制度 法制审核制度 "
    "双随机一公开监管 政务服务标准化 城乡融合发展 人才引进 社会保障体系 "
    "主体责任 属地责任 监管责任 工作机制 长效机制 协调机制 应急预案"
)
_GOV_TAILS = _words(
    "确保各项任务落到实处 形成工作合力 推动高质量发展 不断提升群众满意度 "
    "切实维护群众合法权益 为经济社会发展提供有力保障 营造良好社会氛围"
)


class _Gen:
    """Holds the RNG and name parts for one run of :func:`generate`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.surnames = read_word_list("surnames_single.txt")
        # Only the common compound surnames (the first 28 of the list).
        self.compound = read_word_list("surnames_compound.txt")[:28]
        # Frequent surnames first in the list: sample them more often.
        self.weights = [1.0 / (1 + i / 30) for i in range(len(self.surnames))]
        self.compound_weights = [1.0 / (1 + i / 5) for i in range(len(self.compound))]

    def surname(self) -> str:
        if self.rng.random() < 0.08:
            return self.rng.choices(self.compound, self.compound_weights)[0]
        return self.rng.choices(self.surnames, self.weights)[0]

    def name(self) -> str:
        r = self.rng.random()
        if r < 0.06:
            k = self.rng.choice((2, 2, 3))
            return "·".join(self.rng.sample(_MINORITY, k))
        if r < 0.09:
            return self.rng.choice(_NO_DOT)
        given_len = 1 if self.rng.random() < 0.3 else 2
        return self.surname() + "".join(self.rng.choice(_GIVEN) for _ in range(given_len))

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def phone(self) -> str:
        return "1" + self.rng.choice("3578") + self.digits(9)

    def id_number(self) -> str:
        return "44" + self.digits(4) + "19" + self.digits(9) + self.rng.choice("0123456789X")

    def date(self) -> str:
        r = self.rng
        return f"{r.randint(2015, 2024)}年{r.randint(1, 12)}月{r.randint(1, 28)}日"

    def address(self) -> str:
        r = self.rng
        return f"{r.choice(_CITIES)}市{r.choice(_STREETS)}{r.randint(1, 300)}号"

    def policy_sentence(self) -> str:
        """A name-free policy sentence built from the ``_GOV_*`` blocks."""
        r = self.rng
        clauses = [
            f"{r.choice(_GOV_VERBS)}{r.choice(_GOV_OBJECTS)}" for _ in range(r.randint(1, 3))
        ]
        head = r.choice((f"{r.choice(_GOV_SUBJECTS)}要", f"{r.choice(_ORGS)}", "", "进一步"))
        return head + "，".join(clauses) + "，" + r.choice(_GOV_TAILS) + r.choice("。；")

    def field(self, key: str) -> str:
        """Fill a template field other than a name."""
        r = self.rng
        simple: dict[str, Callable[[], str]] = {
            "S": lambda: r.choice(("：", ":", "：", " ", "", "： ")),
            "ID": self.id_number,
            "PHONE": self.phone,
            "ADDR": self.address,
            "DATE": self.date,
            "TIME": lambda: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
            "IP": lambda: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
            "YEAR": lambda: str(r.randint(1950, 2005)),
            "MONTH": lambda: str(r.randint(1, 12)),
            "AGE": lambda: str(r.randint(1, 90)),
            "ORG": lambda: r.choice(_ORGS),
            "ISSUE": lambda: r.choice(_ISSUES),
            "TITLE": lambda: r.choice(_TITLES),
            "CITY": lambda: r.choice(_CITIES),
            "T": lambda: r.choice(("|", "｜", "\t", ",", " | ")),
            "KV": lambda: r.choice(("：", ":", "｜", "|", "\t", " ", ": ")),
            "KVEND": lambda: r.choice(("\n", "；", "，", " ", "\t", "|", "｜")),
            "KEY": lambda: r.choice(_KEYS),
            "AMT": lambda: f"{r.randint(10, 99999)}.{r.randint(0, 99):02d}",
            "ACCT": lambda: self.digits(r.choice((6, 8, 10))),
            "DAYS": lambda: str(r.choice((5, 7, 10, 15))),
            "COMPLAINT": lambda: r.choice(_COMPLAINTS),
        }
        return simple[key]()


#: Record templates. ``{N}`` is a labelled name, ``{NL}`` a labelled list of
#: names, ``{S}`` an optional label separator, ``[a|b]`` a choice; the other
#: fields are filled by :meth:`_Gen.field`.
_RECORDS = (
    "申请人{S}{N}，身份证号{S}{ID}，联系电话{S}{PHONE}。",
    "联系人{S}{N}[ 电话 |，电话：| 手机:|（]{PHONE}[|）|。]",
    "[参会人员|出席人员|与会人员|参加人员|列席]{S}{NL}。",
    "{N}，[男|女]，[汉族|回族|维吾尔族|壮族]，{YEAR}年{MONTH}月出生，住{ADDR}。",
    "投诉人{N}反映{ISSUE}问题，要求{ORG}尽快处理。",
    "经办人{S}{N}  审核人{S}{N}  日期{S}{DATE}",
    "甲方：{CITY}市[华联|恒信|宏达|新世纪]有限公司 法定代表人{S}{N}；乙方{S}{N}，身份证号码：{ID}",
    "{N}{TITLE}[您好，|：|，|于]您反映的{ISSUE}问题已转{ORG}办理。",
    "经研究，任命{N}同志为{ORG}[副局长|主任|科长]。",
    "{DATE} {TIME} 用户 {N} 登录系统，IP {IP}",
    "{N},{ID},{PHONE},{ADDR}",
    "{N} {PHONE}",
    "{N}[\t| |\\|][男|女][\t| |\\|]{AGE}",
    "姓名{S}{N}[  性别：|，性别| ][男|女]  出生日期：{DATE}",
    "来电人{N}称其{ISSUE}，工作人员{N}已记录并转办。",
    "{N}、{N}夫妇于{DATE}办理婚姻登记。",
    "我是{N}，住在{ADDR}，我要投诉{ISSUE}。",
    "患者{N}，{AGE}岁，因[发热|腹痛|外伤]就诊。",
    "致{N}{TITLE}：感谢您对我市工作的支持。",
    "收件人{S}{N} {PHONE} {ADDR}",
    "本人{N}，现申请{ISSUE}。申请人签字：{N}",
    "值班人员：{NL}；带班领导：{N}",
    "经查，{N}于{DATE}在{ADDR}附近[违章停车|摆摊经营|遗失钱包]。",
    "{N}（{ID}）",
    "根据{N}提供的材料，{ORG}予以受理。",
    # Online messages (留言板, 12345 hotline web forms).
    "我叫{N}[，||。| ]是{CITY}市民，{ISSUE}问题希望尽快解决",
    "回复{N}[：|:]您好，您反映的问题已受理",
    "@{N}[：|:| ][谢谢|收到|已转相关部门|辛苦了]",
    "[感谢|支持|表扬|点赞]{N}[|！|，服务很耐心|热心帮忙]",
    "{ISSUE}[已解决|还没处理|请尽快回复] {N}",
    "{N}[你好|您好|加油|辛苦了][|！|。]",
    # Surname plus title: only the surname is labelled ({SN}).
    "[工作人员|经办人|窗口的|来信人|投诉人|联系人]{SN}[所长|科长|主任|老师|经理|先生|女士|同志|师傅][|，|]{COMPLAINT}",
    "{SN}[先生|女士][您好|：|，]您反映的{ISSUE}问题已受理。",
    "请{SN}[先生|女士|同志]于{DATE}前携带材料到{ORG}办理。",
    # Tables and key-value forms, one field per line or separated by bars and tabs.
    "序号{T}姓名{T}身份证号{T}金额\n1{T}{N}{T}{ID}{T}{AMT}\n2{T}{N}{T}{ID}{T}{AMT}",
    "{KEY}{KV}{N}{KVEND}[身份证号|公民身份号码|证件号码|身份证明号码|出生日期|性别]{KV}{ID}",
    "{KEY}{KV}{N}{KVEND}{KEY}{KV}{N}{KVEND}",
    "户主姓名{KV}{N}{KVEND}与户主关系 [本人|子|女|配偶|父亲|母亲|孙子|孙女]{KVEND}户籍地{KV}{ADDR}",
    "{ACCT}{T}{N}{T}卡号 62{ACCT}{T}{AMT}",
    # Complaints and notices.
    "在{ORG}窗口咨询时，{N}{COMPLAINT}。同行的还有{NL}。",
    "经审核，以下人员符合条件：{NL}。公示期为{DAYS}天。",
)
_TOKEN = re.compile(r"\{([A-Z]+)\}|\[((?:[^\]\\]|\\.)*)\]")


def _render(g: _Gen, template: str) -> dict[str, object]:
    """Fill a template; return the text and the spans of its ``{N}`` names."""
    text = ""
    spans: list[list[object]] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        text += template[pos : m.start()]
        pos = m.end()
        if m.group(2) is not None:  # [a|b|c]
            options = re.split(r"(?<!\\)\|", m.group(2))
            text += g.rng.choice(options).replace("\\|", "|").replace("\\t", "\t")
            continue
        names = [g.name()] if m.group(1) == "N" else []
        if m.group(1) == "SN":
            names = [g.surname()]
        if m.group(1) == "NL":
            names = [g.name() for _ in range(g.rng.randint(2, 6))]
        if names:
            joiner = g.rng.choice(("、", "、", "，", ",", " ", "；"))
            for i, name in enumerate(names):
                if i:
                    text += joiner
                spans.append([len(text), len(text) + len(name), "PERSON"])
                text += name
        else:
            text += g.field(m.group(1))
    text += template[pos:]
    return {"text": text, "spans": spans}


def generate(n: int, seed: int = 13, gov_share: float = 0.35) -> list[dict[str, object]]:
    """Return ``n`` synthetic records in the shared JSONL layout.

    Args:
        n: number of records.
        seed: RNG seed; the same seed gives the same records.
        gov_share: share of name-free government sentences.
    """
    g = _Gen(seed)
    out: list[dict[str, object]] = []
    for _ in range(n):
        if g.rng.random() < gov_share / 2:
            out.append({"text": g.policy_sentence(), "spans": []})
        elif g.rng.random() < gov_share:
            t = g.rng.choice(_GOV_TEMPLATES).format(
                city=g.rng.choice(_CITIES),
                org=g.rng.choice(_ORGS),
                doc=g.rng.choice(("温政办", "江府办", "粤府函", "杭政发", "国办发", "市政办")),
                year=g.rng.randint(2015, 2024),
                num=g.rng.randint(1, 120),
                m=g.rng.randint(1, 12),
                d=g.rng.randint(1, 28),
            )
            out.append({"text": t, "spans": []})
        else:
            out.append(_render(g, g.rng.choice(_RECORDS)))
    return out


def swap_names(
    records: list[dict[str, Any]], seed: int = 13, share: float = 1.0
) -> list[dict[str, Any]]:
    """Copies of ``records`` with their Chinese PERSON names replaced by generated ones.

    Mention replacement: the sentence context is real (news prose), the names
    are new, so the model learns the context rather than the particular names.
    Only records whose every PERSON span looks like a Chinese name (2-4 Han
    characters starting with a known surname) are copied.

    Args:
        records: records in the shared JSONL layout.
        seed: RNG seed.
        share: fraction of the eligible records to copy.
    """
    g = _Gen(seed)
    surnames = set(g.surnames) | set(g.compound)
    out: list[dict[str, Any]] = []
    for rec in records:
        text: str = rec["text"]
        spans = sorted((int(s), int(e)) for s, e, lab in rec["spans"] if lab == "PERSON")
        if not spans or g.rng.random() >= share:
            continue
        names = [text[s:e] for s, e in spans]
        if not all(
            2 <= len(n) <= 4
            and all("\u4e00" <= ch <= "\u9fff" for ch in n)
            and (n[0] in surnames or n[:2] in surnames)
            for n in names
        ):
            continue
        new_text, new_spans, pos, shift = "", [], 0, 0
        mapping: dict[str, str] = {}
        for (s, e), old in zip(spans, names, strict=True):
            if s < pos:  # overlapping spans: leave the record alone
                break
            new = mapping.setdefault(old, g.name())
            new_text += text[pos:s]
            new_spans.append([s + shift, s + shift + len(new), "PERSON"])
            new_text += new
            shift += len(new) - (e - s)
            pos = e
        else:
            out.append({"text": new_text + text[pos:], "spans": new_spans})
    return out
