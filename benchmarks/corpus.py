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
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.corpus_values import Doc, Val, Values

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


class _Gen(Values):
    """The record templates: one method per kind, writing into a :class:`Doc`."""

    def application(self, d: Doc) -> None:
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

    def petition(self, d: Doc) -> None:
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

    def notice(self, d: Doc) -> None:
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

    def contract(self, d: Doc) -> None:
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

    def payment(self, d: Doc) -> None:
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

    def access_log(self, d: Doc) -> None:
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

    def household(self, d: Doc) -> None:
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

    def vehicle(self, d: Doc) -> None:
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
        d = Doc()
        getattr(self, kind)(d)
        while len(d.text) > MAX_CHARS:  # rare (multi-line logs); draw again, same kind
            d = Doc()
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
