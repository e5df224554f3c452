"""A large synthetic people table for the release benchmark.

Columns: 姓名, 身份证号, 手机号, 住址, 出生日期, 性别, 备注 (a ~50-character
remark that mentions a phone number or a name about half the time). IDs pass
their check character; everything is generated, nobody is real.

    python -m benchmarks.release_data --rows 1000000 -o /tmp/people.csv
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from recognizers.checksums import gb11643_check_char

HEADER = ["姓名", "身份证号", "手机号", "住址", "出生日期", "性别", "备注"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"
    "宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
COMPOUND = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯"
DIVISIONS = [
    "440703",
    "440704",
    "440705",
    "440781",
    "440783",
    "440784",
    "440785",
    "110105",
    "310104",
]
CITIES = [
    "广东省江门市蓬江区", "广东省江门市江海区", "广东省江门市新会区", "广东省台山市",
    "北京市朝阳区", "上海市徐汇区",
]  # fmt: skip
ROADS = ["建设路", "白沙大道西", "港口一路", "胜利路", "迎宾大道", "丰乐路"]
REMARKS = [
    "申请人来电咨询办理进度，联系电话{phone}，已告知所需材料。",
    "已电话回访{name}，对处理结果表示满意，无其他诉求，办结。",
    "材料齐全，已受理，预计十个工作日内办结，请留意短信通知。",
    "户籍迁入手续已完成，相关证明材料已归档，后续无需补充。",
    "请{name}于下周一前携带身份证原件到窗口核验，逾期需重新预约。",
    "系统自动生成：本条记录已同步至市政务数据共享平台，无异常。",
]


def _name(rnd: random.Random) -> str:
    surname = rnd.choice(COMPOUND) if rnd.random() < 0.05 else rnd.choice(SURNAMES)
    return surname + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))


def rows(n: int, seed: int = 0) -> Iterator[list[str]]:
    """``n`` rows of the table, deterministic per seed."""
    rnd = random.Random(seed)
    for _ in range(n):
        year, month, day = rnd.randint(1940, 2010), rnd.randint(1, 12), rnd.randint(1, 28)
        first17 = f"{rnd.choice(DIVISIONS)}{year}{month:02d}{day:02d}{rnd.randint(0, 999):03d}"
        sex = "男" if int(first17[16]) % 2 else "女"
        phone = f"1{rnd.choice('3578')}{rnd.randint(0, 999_999_999):09d}"
        address = f"{rnd.choice(CITIES)}{rnd.choice(ROADS)}{rnd.randint(1, 300)}号"
        remark = rnd.choice(REMARKS).format(
            phone=f"1{rnd.choice('3589')}{rnd.randint(0, 999_999_999):09d}", name=_name(rnd)
        )
        yield [
            _name(rnd), first17 + gb11643_check_char(first17), phone, address,
            f"{year}-{month:02d}-{day:02d}", sex, remark,
        ]  # fmt: skip


def write_csv(path: Path, n: int, seed: int = 0) -> Path:
    """Write the table as UTF-8 CSV (no field needs quoting)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        batch: list[str] = []
        for row in rows(n, seed):
            batch.append(",".join(row))
            if len(batch) >= 10_000:
                fh.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            fh.write("\n".join(batch) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    write_csv(args.output, args.rows, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
