"""The screenshots of the user guide (docs/guide.md), taken in headless Chromium by walking through the
guide's steps on the running app: import a settlement-list export, change the budget growth and a
risk-sharing band, save and share the scenario, the analyses, the reports and the presentation mode, and a
hospital's statement, trace and year-end forecast.

The pictures go to tests/artifacts/guide/; with DIP_UPDATE_GUIDE=1 they are also written to
docs/images/guide/ (that is how the committed images are refreshed). The set of pictures taken must be
the set the guide shows."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

import pytest
from e2e_support import ARTIFACTS, ROOT, settle
from hospitalkit import published_tables
from playwright.sync_api import TimeoutError as PlaywrightTimeout

GUIDE = ROOT / "docs" / "guide.md"
DOC_IMAGES = ROOT / "docs" / "images" / "guide"
OUT = ARTIFACTS / "guide"
UPDATE = os.environ.get("DIP_UPDATE_GUIDE") == "1"
HOSPITAL = ("H002", "江阳区")          # the hospital of part 2 of the guide, and its district
SCENARIO = "职工增长3%·首段分担50%"
SHOWN_FOLDER = "data/sample"          # how the guide shows the data folder (the test city sits in a temp folder)


def referenced() -> list[str]:
    """The images docs/guide.md shows, in order of first appearance."""
    names = re.findall(r"\]\(images/guide/([^)\s]+\.png)\)", GUIDE.read_text(encoding="utf-8"))
    return list(dict.fromkeys(names))


# --- an export as a hospital information system writes it ---------------------------------------------

def settlement_export(city: Path, path: Path) -> Path:
    """The city's cases as a 医保结算清单 export (Chinese headers and scheme names, 医保版 codes, GB18030),
    plus six rows the importer must refuse, one per rule."""
    cases = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False)

    def procs(codes: str) -> str:
        return "，".join(c + ("x00" if len(c.split(".")[-1]) == 1 else "00x001") for c in codes.split(";") if c)

    ex = pd.DataFrame({
        "结算ID": cases["case_id"], "人员编号": cases["patient_id"], "定点医药机构编号": cases["hospital_id"],
        "险种类型": np.where(cases["scheme"] == "employee", "职工基本医疗保险", "城乡居民基本医疗保险"),
        "入院日期": pd.to_datetime(cases["admit_date"]).dt.strftime("%Y/%-m/%-d"),
        "出院日期": pd.to_datetime(cases["discharge_date"]).dt.strftime("%Y%m%d"),
        "主要诊断编码": cases["dx_code"].where(cases["dx_code"] == "", cases["dx_code"] + "00x001"),
        "主要手术及操作编码": cases["proc_codes"].map(procs),
        "医疗总费用": cases["total_cost"], "统筹基金支付": cases["ffs_fund"], "个人自付": cases["self_pay"],
        "年龄": cases["age"], "离院方式": np.where(cases["transferred"] == "true", "2", "1"),
        "质控结果": np.where(cases["qc_pass"] == "true", "通过", "不通过")})
    bad = ex.head(6).copy()
    bad["结算ID"] = [f"X{i}" for i in range(1, 7)]
    bad.iloc[0, bad.columns.get_loc("医疗总费用")] = "-120"                 # negative cost
    bad.iloc[1, bad.columns.get_loc("险种类型")] = "离休人员医疗保障"         # not a DIP scheme
    bad.iloc[2, bad.columns.get_loc("出院日期")] = "20241332"               # no such date
    bad.iloc[3, bad.columns.get_loc("统筹基金支付")] = "999999"             # fund above the total cost
    bad.iloc[4, bad.columns.get_loc("结算ID")] = ex["结算ID"].iloc[10]      # duplicate settlement ID
    bad.iloc[5, bad.columns.get_loc("定点医药机构编号")] = "H999"           # hospital not in the table
    pd.concat([ex, bad], ignore_index=True).to_csv(path, index=False, encoding="gb18030")
    return path


def hospital_files(city: Path, hid: str, tmp: Path) -> tuple[Path, Path, Path]:
    """What a hospital's finance team holds: its own settlement-list export (with 科室 and 主诊医师), and the
    bureau's catalogue (XLSX) and level costs (one column per level, GB18030 CSV) as published."""
    c = pd.read_csv(city / "cases.csv", dtype=str, keep_default_na=False)
    c = c[c["hospital_id"] == hid]
    export = pd.DataFrame({
        "结算ID": c["case_id"], "人员编号": c["patient_id"], "定点医药机构编号": c["hospital_id"],
        "险种类型": np.where(c["scheme"] == "employee", "职工基本医疗保险", "城乡居民基本医疗保险"),
        "入院日期": c["admit_date"], "出院日期": c["discharge_date"], "DIP病种编码": c["group_id"],
        "主要诊断编码": c["dx_code"], "医疗总费用": c["total_cost"], "统筹基金支付": c["ffs_fund"],
        "个人自付": c["self_pay"], "年龄": c["age"], "出院科别": "科室" + c["dx_code"].str[:1],
        "主诊医师": "医师" + (np.arange(len(c)) % 9 + 1).astype(str)})
    catalogue, wide = published_tables(city)
    paths = (tmp / "本院结算清单.csv", tmp / "病种分值目录.xlsx", tmp / "各级别次均费用.csv")
    export.to_csv(paths[0], index=False, encoding="gb18030")
    catalogue.to_excel(paths[1], index=False)
    wide.to_csv(paths[2], index=False, encoding="gb18030")
    return paths


# --- taking the pictures ------------------------------------------------------------------------------

class Shots:
    def __init__(self, city: Path):
        self.city = city
        self.taken: list[str] = []
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()

    def __call__(self, pg, name: str, top=None, margin: int = 72, main_only: bool = False) -> None:
        """A picture of the viewport (1440 wide), scrolled so that `top` sits just under the app's header;
        `main_only`: the page's column without the sidebar."""
        no_error(pg)
        if top is not None:
            top.first.evaluate("e => e.scrollIntoView({block: 'start'})")
            pg.evaluate(f"document.querySelector(\"[data-testid='stMain']\").scrollBy(0, -{margin})")
        pg.evaluate("document.querySelector(\"[data-testid='stSidebarContent']\").scrollTo(0, 0)")
        pg.evaluate("document.activeElement && document.activeElement.blur()")     # no focus frame
        pg.mouse.move(1435, 995)                  # no hover labels or chart tool bars in the picture
        pg.wait_for_timeout(700)
        self._hide_folder(pg)
        path = OUT / f"{name}.png"
        clip = None
        if main_only:
            box = pg.locator("[data-testid='stMainBlockContainer']").bounding_box()
            view = pg.viewport_size
            clip = {"x": box["x"] + 40, "y": 50, "width": box["width"] - 80, "height": view["height"] - 50}
        pg.screenshot(path=str(path), clip=clip)
        self.taken.append(name + ".png")
        if UPDATE:
            DOC_IMAGES.mkdir(parents=True, exist_ok=True)
            compact(path, DOC_IMAGES / path.name)

    def _hide_folder(self, pg) -> None:
        """The test city lives in a temporary folder; the pictures show it as data/sample."""
        pg.evaluate("""([from, to]) => {
            const main = document.querySelector("[data-testid='stMain']");
            const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode())
                if (n.nodeValue.includes(from)) n.nodeValue = n.nodeValue.split(from).join(to);
            for (const el of main.querySelectorAll('code'))
                if (el.textContent.includes(from)) el.textContent = el.textContent.split(from).join(to);
        }""", [str(self.city), SHOWN_FOLDER])


def compact(src: Path, dst: Path) -> None:
    """A palette PNG (a screenshot has few colours): a third of the size, text as sharp."""
    from PIL import Image
    with Image.open(src) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
          .save(dst, optimize=True)


def no_error(pg) -> None:
    assert pg.locator("[data-testid='stException']").count() == 0
    text = pg.inner_text("[data-testid='stMain']")
    assert "Traceback" not in text and "意外错误" not in text and "无法计算" not in text, text[:400]


def nav(pg, title: str, timeout: int = 120_000) -> None:
    """Open a page through the sidebar (the session, and so the scenario, stays)."""
    pg.locator("[data-testid='stSidebarNavLink']").filter(has=pg.get_by_text(title, exact=True)).click()
    settle(pg, timeout)
    pg.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollTo(0, 0)")


def charts_drawn(pg, n: int = 1, timeout: int = 120_000) -> None:
    pg.wait_for_function(f"document.querySelectorAll(\"[data-testid='stPlotlyChart'] .main-svg\").length >= {n}",
                         timeout=timeout)


def pick(pg, label: str, option: str) -> None:
    """Choose an option of a select box by typing part of it."""
    box = pg.locator("[data-testid='stSelectbox']").filter(has=pg.get_by_text(label, exact=True)).first
    box.click()
    pg.keyboard.type(option)
    pg.get_by_role("option", name=option).first.click()
    settle(pg)


def upload(pg, label: str, path: Path) -> None:
    box = pg.locator("[data-testid='stFileUploader']").filter(has=pg.get_by_text(label, exact=True)).first
    box.locator("input[type='file']").set_input_files(str(path))
    pg.get_by_text(path.name, exact=True).first.wait_for()
    settle(pg)


# --- the walk through the guide ---------------------------------------------------------------------

def walk(pg, url: str, city: Path, tmp: Path) -> list[str]:
    shot = Shots(city)
    pg.goto(url)
    settle(pg, 120_000)
    pg.locator("[data-testid='stMetric']").nth(13).wait_for()
    shot(pg, "overview")

    # part 1 · check the data, import a settlement-list export
    nav(pg, "数据")
    pg.get_by_text("数据符合数据契约，可以计算。").wait_for()
    pg.get_by_role("tab", name="导入数据").click()
    settle(pg)
    upload(pg, "导出文件（可多选）", settlement_export(city, tmp / "结算清单导出.csv"))
    pg.get_by_text("其他表（可选）", exact=False).first.click()
    for label, file in (("医院表", "hospitals.csv"), ("基金表", "fund.csv"), ("病种目录", "catalogue.csv")):
        upload(pg, label, city / file)
    pg.get_by_role("button", name="开始导入").wait_for()
    pg.set_viewport_size({"width": 1440, "height": 1300})     # from the uploads down to the import button
    shot(pg, "data-import", top=pg.get_by_role("tab", name="导入数据"), margin=118)
    pg.set_viewport_size({"width": 1440, "height": 1000})
    pg.get_by_role("button", name="开始导入").click()
    settle(pg, 120_000)
    pg.get_by_text("数据质量报告", exact=True).wait_for()
    charts_drawn(pg, 2)
    assert pg.get_by_text("拒收 6 行", exact=False).first.is_visible()
    shot(pg, "data-quality", top=pg.get_by_text("已导入“", exact=False))

    # part 1 · budget growth, the overview against the baseline
    nav(pg, "预算")
    pg.get_by_text("跟随基金预算收入增长率", exact=False).first.click()      # employee: the rate by hand
    settle(pg)
    box = pg.get_by_role("spinbutton", name="预算增长率（职工医保）（%）")
    box.fill("3")
    box.press("Enter")
    box.blur()
    settle(pg)
    charts_drawn(pg)
    pg.set_viewport_size({"width": 1440, "height": 1450})     # the input and the derivation in one picture
    shot(pg, "budget-growth", top=box, margin=190)
    pg.set_viewport_size({"width": 1440, "height": 1000})
    nav(pg, "总览")
    pg.locator("[data-testid='stMetricDelta']").first.wait_for()
    shot(pg, "overview-changed")

    # part 1 · a risk-sharing band: the employee's first overspend band shared at 50 % instead of 70 %
    nav(pg, "分担机制")
    grid = pg.locator("[data-testid='stDataFrame']").nth(1)
    grid.scroll_into_view_if_needed()
    b = grid.bounding_box()
    cell = (b["x"] + b["width"] * 0.8, b["y"] + 35 + 17)           # first row, 分担比例
    for attempt in range(5):                # the grid may miss a keystroke while it redraws: try again
        pg.mouse.dblclick(*cell)
        pg.wait_for_timeout(400 + 400 * attempt)
        pg.keyboard.press("Control+A")
        pg.keyboard.type("50")
        pg.keyboard.press("Enter")
        settle(pg)
        # the sidebar counts the edit (growth rate and band) in the run the edit starts
        try:
            pg.locator("[data-testid='stSidebar']").get_by_text("改动 2 项", exact=False).wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        pytest.fail("the band edit did not reach the app")
    charts_drawn(pg)
    shot(pg, "bands", top=pg.get_by_text("支付额与按分值计算统筹基金之比", exact=True), margin=20, main_only=True)
    nav(pg, "医院结算")
    pg.get_by_role("tab", name="与对比基准比较").click()
    settle(pg)
    charts_drawn(pg)
    shot(pg, "hospital-changes", top=pg.get_by_role("tab", name="与对比基准比较"), margin=175)

    # part 1 · save the scenario, its link
    nav(pg, "情景")
    pg.get_by_role("textbox", name="情景名称").fill(SCENARIO)
    pg.get_by_role("textbox", name="说明（可选）").fill("职工医保预算增长率3%；职工使用率100%–110%段超支分担比例70%→50%")
    pg.get_by_role("button", name="保存情景").click()
    settle(pg)
    pg.get_by_text(f"已保存情景「{SCENARIO}」").wait_for()
    assert pg.get_by_text("改动 2 项参数", exact=False).first.is_visible()       # the growth rate and the band
    shot(pg, "scenario-saved")
    pg.get_by_role("tab", name="分享与导入导出").click()
    settle(pg)
    shot(pg, "scenario-link")

    # part 1 · projection, sensitivity, uncertainty
    nav(pg, "多年预测")
    charts_drawn(pg, 4)
    shot(pg, "projection", top=pg.get_by_text("职工医保：", exact=False).first, margin=110)
    nav(pg, "敏感性")
    charts_drawn(pg, 2)
    shot(pg, "sensitivity", top=pg.get_by_text("分析的结果", exact=True))
    nav(pg, "不确定性")
    charts_drawn(pg, 3)
    shot(pg, "uncertainty", top=pg.get_by_text("共 200 次抽样", exact=False), margin=90)

    # part 3 · reports and the presentation mode (of the saved scenario against the rules)
    nav(pg, "报告导出")
    pick(pg, "医院", HOSPITAL[0])
    pg.get_by_role("button", name="生成报告文件").click()
    pg.get_by_role("button", name="⬇ 下载 PPT 报告").wait_for(timeout=300_000)
    settle(pg)
    with pg.expect_download() as dl:
        pg.get_by_role("button", name="⬇ 下载该医院结算单（PDF）").click()
    assert dl.value.suggested_filename == f"statement-{HOSPITAL[0]}.pdf"
    settle(pg)
    shot(pg, "reports")
    nav(pg, "演示模式")
    pg.get_by_text("关键数字", exact=True).wait_for()
    shot(pg, "present")
    for _ in range(10):
        if pg.get_by_text("年度支付变化最大的医院", exact=True).count():
            break
        pg.get_by_role("button", name="下一页").click()
        settle(pg)
    charts_drawn(pg)
    shot(pg, "present-chart")
    pg.get_by_role("link", name="退出演示模式").click()
    settle(pg)

    # part 2 · a hospital under the published rules: its statement, trace and year-end forecast
    pg.locator("[data-testid='stSidebar']").get_by_role("button", name="恢复细则原值").click()
    settle(pg)
    nav(pg, "医院结算")
    pg.locator("[data-testid='stMultiSelect']").filter(has=pg.get_by_text("区县", exact=True)).click()
    pg.get_by_role("option", name=HOSPITAL[1]).click()
    pg.keyboard.press("Escape")
    settle(pg)
    grid = pg.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    b = grid.bounding_box()
    pg.mouse.click(b["x"] + 14, b["y"] + 35 + 17)                  # the first row: 职工医保
    settle(pg)
    title = pg.get_by_text("计算过程：", exact=False).first
    assert HOSPITAL[0] in title.inner_text() and "职工医保" in title.inner_text()
    charts_drawn(pg)
    shot(pg, "hospital-table")
    step = pg.locator("[data-testid='stVerticalBlock']").filter(
        has=pg.get_by_text(re.compile(r"^\d+\. 结余留用与超支分担$"))).last      # the step's own box
    step.get_by_text("条款原文", exact=False).first.click()
    settle(pg)
    shot(pg, "hospital-trace", top=pg.get_by_text(re.compile(r"^\d+\. 基金使用率$")), margin=90)
    nav(pg, "医院预测")
    pick(pg, "医院", HOSPITAL[0])
    charts_drawn(pg, 2)
    shot(pg, "hospital-forecast", top=pg.get_by_text("年初至今的病例", exact=True), margin=88)
    hospital_edition(pg, shot, city, tmp)
    return shot.taken


def hospital_edition(pg, shot: Shots, city: Path, tmp: Path) -> None:
    """Part 2 · the hospital edition: the hospital's own export and the bureau's tables imported as a hospital
    folder, the city's published figures entered, its year-end outlook and group margins."""
    import dip_model
    res = dip_model.simulate(dip_model.load_data(city))
    export, catalogue, level_costs = hospital_files(city, HOSPITAL[0], tmp)
    nav(pg, "数据")
    pg.get_by_role("tab", name="导入数据").click()
    settle(pg)
    pg.get_by_text("本院数据（医院：本院的结算清单或病案首页导出）", exact=True).click()
    settle(pg)
    upload(pg, "本院的结算清单或病案首页导出", export)
    upload(pg, "病种分值目录（必填）", catalogue)
    upload(pg, "各级别次均费用", level_costs)
    pg.get_by_text("已识别 病种分值目录.xlsx 的列：", exact=False).wait_for()
    name = pd.read_csv(city / "hospitals.csv", dtype=str).set_index("hospital_id").at[HOSPITAL[0], "name"]
    pg.get_by_role("textbox", name="医院名称").fill(name)
    pg.get_by_role("textbox", name="医院名称").press("Enter")
    settle(pg)
    pg.set_viewport_size({"width": 1440, "height": 1200})
    shot(pg, "hospital-import", top=pg.get_by_role("tab", name="导入数据"), margin=118)
    pg.set_viewport_size({"width": 1440, "height": 1000})
    pg.get_by_role("button", name="开始导入").click()
    settle(pg, 120_000)
    pg.get_by_text("数据质量报告", exact=True).wait_for()
    pg.get_by_role("button", name="切换到此数据集").click()
    settle(pg, 120_000)
    nav(pg, "总览")                           # the hospital edition asks for the city's published figures
    # the city's published figures, as the bureau notifies them
    s = res.summary["schemes"]
    for label, value in (("公布的职工结算点值（元/分）", s["employee"]["settlement_point_value"]),
                         ("公布的居民结算点值（元/分）", s["resident"]["settlement_point_value"]),
                         ("全部病例次均费用 M（元）", round(res.stage.ref.mean_cost, 2))):
        box = pg.locator("[data-testid='stMain']").get_by_role("spinbutton", name=label)
        box.fill(str(value))
        box.press("Enter")
        settle(pg, 120_000)
    nav(pg, "年终预估")
    charts_drawn(pg, 2)
    pg.set_viewport_size({"width": 1440, "height": 1500})
    shot(pg, "hospital-outlook", top=pg.get_by_text("结算点值区间", exact=True), margin=120)
    pg.set_viewport_size({"width": 1440, "height": 1000})
    nav(pg, "病种盈亏")
    charts_drawn(pg)
    pg.set_viewport_size({"width": 1440, "height": 1300})
    shot(pg, "hospital-margins")
    pg.set_viewport_size({"width": 1440, "height": 1000})


def test_guide_screenshots(page, app_url, city, tmp_path):
    taken = walk(page, app_url, city, tmp_path)
    assert sorted(taken) == sorted(referenced()), "the guide shows other pictures than the walk takes"
    missing = [n for n in referenced() if not (DOC_IMAGES / n).is_file()]
    assert not missing, f"not in docs/images/guide (run with DIP_UPDATE_GUIDE=1): {missing}"


def test_guide_images_are_committed():
    """Every picture the guide shows is there, and no picture lies there unused."""
    shown = set(referenced())
    assert shown, "docs/guide.md shows no pictures"
    present = {p.name for p in DOC_IMAGES.glob("*.png")}
    assert shown <= present, f"missing: {sorted(shown - present)}"
    assert present <= shown, f"not shown by the guide: {sorted(present - shown)}"
