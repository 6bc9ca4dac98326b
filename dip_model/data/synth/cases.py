"""Synthetic city: a complete data folder (docs/data-contract.md) that looks like a Luzhou-sized city.

`make_city(n_cases, seed)` returns the tables as DataFrames; `write_city(out_dir, ...)` writes
hospitals, cases, catalogue, group_level_costs, history, fund and aux as UTF-8 CSV.

Everything comes from one numpy Generator, so a seed fixes every byte. The generator is
vectorised (no per-case Python loop): a 1.1M-case city with its three years of history is
generated and written in a few seconds.

How the city is built
- a universe of ~380 ICD-10 diagnoses and ~170 ICD-9-CM-3 procedures (tables below), combined
  into diagnosis x treatment keys with a long-tailed popularity;
- ~150 hospitals (scaled with the city), case volume heavily skewed toward 3A;
- three prior years of history (volume -5 %/yr, cost -4 %/yr) and the 2024 cases;
- the catalogue is then built from the history exactly as A-15/A-16 describe: a key with
  >= 15 history cases is a core group, the rest fold into comprehensive groups
  `dx3|comp|proc_class`; RW = group mean / overall mean x 1000; a group whose cost CV
  exceeds 1 is `monitored`. The level-cost table is the 2023 mean per group and level.
- fund.csv is calibrated so that the DIP payable F is ~100-105 % of the scheme's ffs_fund.

Costs: within a group and hospital level, log cost is a mixture (body, a short-stay low tail,
a thin high tail), so ~3-5 % of cases exceed twice their level mean and ~10 % fall below half,
while the SD of log(cost / group mean) is ~0.6. Calibration figures: the project's domain
notes (mean inpatient cost ~10k yuan, fund ratios ~0.8 employee / ~0.65 resident).
All hospital names are generic patterns; none is a real hospital.
"""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.compute as pc

YEAR = 2024
HISTORY_YEARS = (2021, 2022, 2023)
VOLUME_SHRINK = 0.95          # each prior year has ~5 % fewer cases
COST_GROWTH = 1.04            # and ~4 % lower costs
CORE_MIN_CASES = 15           # A-15 core-group threshold (catalogue.core_min_cases)
CV_MONITOR = 1.0              # A-15 monitored-group threshold (catalogue.cv_monitor)
MEAN_COST_TARGET = 10_000.0   # national mean inpatient cost per case, yuan (domain notes)

LEVELS = ("3A", "3B", "2A", "2B", "1")
REIMB_LEVEL = np.array([3, 3, 2, 2, 1])
SCHEMES = ("employee", "resident")
CLASSES = ("conservative", "diagnostic", "therapeutic", "surgical")
CLASS_ZH = ("保守治疗", "诊断性操作", "治疗性操作", "手术")
AUX = (("severity_2", 0.1), ("severity_3", 0.2), ("age_65_plus", 0.05), ("age_0_28d", 0.3))

# districts with approximate populations (millions); the first two are the urban core
DISTRICTS = ("江阳区", "龙马潭区", "纳溪区", "泸县", "合江县", "叙永县", "古蔺县")
DISTRICT_POP = np.array([0.65, 0.48, 0.40, 0.83, 0.70, 0.57, 0.68])

# per hospital level (order of LEVELS)
LEVEL_COST = np.array([1.25, 1.08, 0.90, 0.82, 0.72])     # cost per case relative to average
LEVEL_VOLUME = np.array([70.0, 25.0, 10.0, 5.0, 0.5])     # case volume per hospital, relative
LEVEL_PROC = np.array([1.15, 1.05, 0.95, 0.85, 0.45])     # propensity to operate
LEVEL_TRANSFER = np.array([0.5, 0.8, 1.1, 1.4, 2.2])      # transfer-out propensity
FFS_RATIO = np.array([[0.76, 0.78, 0.80, 0.81, 0.84],     # employee fund share of cost
                      [0.60, 0.64, 0.68, 0.70, 0.74]])    # resident
TIER_LEVEL_PREF = {"b": [0.3, 0.5, 1.3, 1.6, 5.0],        # basic (grassroots-like) diagnoses
                   "n": [1.0, 1.0, 1.0, 0.9, 0.5],
                   "c": [2.5, 1.5, 0.6, 0.3, 0.03]}       # complex, tertiary care

# age profiles of the diagnosis table: (mean, sd, min, max) of a normal, or a special rule
AGE_PROFILES = {"A": (56, 17, 18, 98), "E": (74, 8, 60, 100), "M": (52, 12, 25, 88),
                "Y": (35, 10, 15, 65), "W": (42, 10, 20, 62), "O": (29, 5, 17, 46),
                "C": "child", "N": None}

# discharge seasonality (Jan..Dec): a winter peak and the Spring Festival dip
MONTH_WEIGHT = np.array([1.08, 0.86, 1.0, 0.98, 1.0, 0.97, 1.0, 1.0, 0.97, 0.95, 1.02, 1.1])

# log-cost mixture within a group x level: body, short-stay low tail, thin high tail
MIX_P = np.array([0.86, 0.12, 0.02])
MIX_MU = np.array([0.0, -1.1, 1.0])
MIX_SD = np.array([0.30, 0.50, 0.30])

# ICD-9-CM-3 procedures: code, name, class (d diagnostic, t therapeutic, s surgical), cost factor
_PROCS = """
33.22 纤维支气管镜检查 d 1.3
33.24 支气管镜下活检 d 1.4
33.26 经皮肺穿刺活检 d 1.4
34.91 胸腔穿刺术 t 1.1
34.04 胸腔闭式引流术 t 1.5
96.04 气管内插管 t 1.8
96.71 呼吸机治疗小于96小时 t 2.5
96.72 呼吸机治疗96小时及以上 t 4.5
93.90 无创机械通气 t 1.5
31.1 暂时性气管切开术 t 3.0
32.41 胸腔镜下肺叶切除术 s 4.5
32.20 胸腔镜下肺病损切除术 s 3.2
32.49 肺叶切除术 s 4.2
34.02 开胸探查术 s 3.0
34.06 胸腔镜下胸膜腔引流术 t 2.0
34.52 胸腔镜下肺剥脱术 s 3.0
88.57 冠状动脉造影 d 1.8
37.22 左心导管检查 d 1.6
00.66 经皮冠状动脉腔内成形术 t 4.0
36.07 药物洗脱冠状动脉支架置入术 t 5.0
37.34 心脏射频消融术 t 5.0
37.83 双腔永久起搏器置入术 s 6.0
99.62 心脏电复律 t 1.2
37.0 心包穿刺术 t 1.3
36.12 冠状动脉旁路移植术 s 9.0
35.21 主动脉瓣生物瓣置换术 s 9.0
35.24 二尖瓣置换术 s 9.0
35.71 房间隔缺损修补术 s 6.0
35.52 房间隔缺损封堵术 t 5.0
35.53 室间隔缺损封堵术 t 5.5
39.61 体外循环 t 2.0
88.48 下肢动脉造影 d 1.4
39.50 外周血管腔内成形术 t 3.5
39.90 外周血管支架置入术 t 4.0
39.71 腹主动脉腔内修复术 s 10.0
39.73 胸主动脉腔内修复术 s 12.0
38.59 大隐静脉高位结扎剥脱术 s 1.8
38.7 下腔静脉滤器置入术 t 2.0
88.41 脑动脉造影 d 1.8
03.31 腰椎穿刺 d 1.05
99.10 静脉溶栓 t 1.8
39.74 颅内血管机械取栓术 t 5.0
00.62 颅内血管成形术 t 5.0
93.39 物理治疗 t 1.15
01.24 开颅术 s 4.0
01.39 颅内血肿清除术 s 4.5
01.59 脑病损切除术 s 5.0
02.34 脑室腹腔分流术 s 4.0
39.51 颅内动脉瘤夹闭术 s 6.0
39.72 颅内动脉瘤栓塞术 t 7.0
01.31 硬脑膜下血肿钻孔引流术 s 2.5
99.92 针刺治疗 t 1.05
93.11 辅助运动训练 t 1.08
93.35 中药热敷 t 1.04
94.27 电休克治疗 t 1.3
94.38 支持性心理治疗 t 1.05
45.13 胃镜检查 d 1.15
45.16 胃镜下活检 d 1.2
44.43 内镜下胃十二指肠止血术 t 1.6
43.41 内镜下胃病损切除术 t 2.0
42.33 内镜下食管病损切除术 t 2.0
42.92 食管扩张术 t 1.3
44.42 十二指肠溃疡穿孔修补术 s 2.5
43.7 胃部分切除伴胃空肠吻合术 s 4.0
43.6 远端胃切除伴胃十二指肠吻合术 s 4.0
43.99 全胃切除术 s 5.0
42.41 食管部分切除术 s 6.0
45.62 小肠部分切除术 s 3.5
54.59 腹腔粘连松解术 s 2.5
54.11 剖腹探查术 s 2.5
45.23 结肠镜检查 d 1.15
45.25 结肠镜下活检 d 1.2
45.42 内镜下结肠息肉切除术 t 1.3
17.33 腹腔镜下右半结肠切除术 s 5.0
45.73 右半结肠切除术 s 4.5
17.36 腹腔镜下乙状结肠切除术 s 5.0
48.63 直肠前切除术 s 5.0
46.10 结肠造口术 s 3.0
47.01 腹腔镜下阑尾切除术 s 2.0
47.09 阑尾切除术 s 1.8
54.91 经皮腹腔穿刺引流术 t 1.2
49.46 痔切除术 s 1.5
49.45 痔结扎术 t 1.2
49.12 肛瘘切除术 s 1.5
49.51 肛门括约肌切开术 s 1.3
49.01 肛周脓肿切开引流术 t 1.2
51.23 腹腔镜下胆囊切除术 s 2.2
51.22 胆囊切除术 s 2.5
51.88 内镜下胆管取石术 t 2.5
51.10 内镜逆行胰胆管造影 d 1.8
51.41 胆总管探查取石术 s 3.0
51.87 内镜下胆管支架置入术 t 2.4
50.22 肝部分切除术 s 5.0
50.24 经皮肝病损射频消融术 t 3.0
50.11 经皮肝穿刺活检 d 1.3
42.91 食管静脉曲张结扎术 t 2.0
39.1 经颈静脉肝内门体分流术 t 5.0
88.47 腹腔动脉造影 d 1.6
52.7 胰十二指肠切除术 s 8.0
52.01 胰腺囊肿置管引流术 t 2.0
53.05 腹股沟疝补片修补术 s 1.8
17.12 腹腔镜下腹股沟斜疝补片修补术 s 2.2
53.61 切口疝补片修补术 s 2.5
53.41 脐疝补片修补术 s 1.8
98.51 体外冲击波碎石术 t 1.3
56.0 输尿管镜下取石术 t 2.0
55.04 经皮肾镜碎石取石术 s 3.0
59.8 输尿管支架置入术 t 1.3
57.0 经尿道膀胱取石术 t 1.5
60.29 经尿道前列腺电切术 s 2.5
60.5 根治性前列腺切除术 s 5.0
57.49 经尿道膀胱病损电切术 s 2.3
57.94 留置导尿 t 1.02
60.11 前列腺穿刺活检 d 1.3
55.4 肾部分切除术 s 4.0
55.51 肾输尿管切除术 s 4.5
55.23 经皮肾穿刺活检 d 1.3
64.0 包皮环切术 s 1.1
61.2 睾丸鞘膜积液切除术 s 1.3
63.1 精索静脉曲张切除术 s 1.3
62.5 睾丸固定术 s 1.5
58.45 尿道下裂修补术 s 2.0
39.95 血液透析 t 1.5
39.27 动静脉造瘘术 s 1.8
54.93 腹膜透析管置入术 s 1.8
38.95 透析用静脉导管置入术 t 1.2
73.59 手法助产 t 1.0
74.1 子宫下段剖宫产术 s 1.6
73.6 会阴侧切术 t 1.05
75.69 产科裂伤修补术 t 1.1
69.02 产后刮宫术 t 1.1
69.51 吸宫术 t 1.1
75.4 人工剥离胎盘术 t 1.2
68.41 腹腔镜下全子宫切除术 s 3.0
68.49 经腹全子宫切除术 s 2.8
68.29 子宫病损切除术 s 2.2
65.25 腹腔镜下卵巢病损切除术 s 2.2
68.12 宫腔镜检查 d 1.3
69.09 刮宫术 t 1.1
66.62 输卵管切除伴输卵管妊娠物清除术 s 2.0
67.2 宫颈锥切术 s 1.5
85.21 乳腺病损局部切除术 s 1.3
85.43 单侧乳房扩大单纯切除术 s 2.5
85.41 单侧乳房单纯切除术 s 2.2
85.11 乳腺穿刺活检 d 1.1
85.0 乳房切开引流术 t 1.1
40.3 区域淋巴结切除术 s 1.5
99.83 新生儿光疗 t 1.1
38.92 脐静脉置管术 t 1.2
99.15 肠外营养 t 1.3
23.19 阻生齿拔除术 s 1.2
24.4 颌骨病损切除术 s 2.0
26.31 腮腺部分切除术 s 2.0
27.0 口底切开引流术 t 1.1
27.62 腭裂修补术 s 2.5
76.76 下颌骨骨折切开复位术 s 2.5
06.2 单侧甲状腺腺叶切除术 s 2.0
06.4 甲状腺全切除术 s 2.6
06.39 甲状腺部分切除术 s 2.0
06.11 甲状腺穿刺活检 d 1.1
13.41 白内障超声乳化抽吸术 s 1.4
13.71 人工晶体植入术 s 1.3
14.74 玻璃体切除术 s 2.5
14.24 视网膜激光光凝术 t 1.2
14.79 玻璃体腔注药术 t 1.3
12.64 小梁切除术 s 1.8
11.39 翼状胬肉切除术 s 1.1
15.11 眼外肌后徙术 s 1.4
28.3 扁桃体伴腺样体切除术 s 1.8
28.2 扁桃体切除术 s 1.6
21.31 鼻内病损切除术 s 1.8
22.63 筛窦切除术 s 2.2
21.5 鼻中隔黏膜下切除术 s 1.8
20.01 鼓膜切开置管术 s 1.3
19.4 鼓膜成形术 s 2.0
30.09 喉病损切除术 s 1.8
21.03 鼻出血电凝止血术 t 1.1
86.3 皮肤病损切除术 s 1.2
86.04 皮肤切开引流术 t 1.1
83.39 软组织病损切除术 s 1.4
86.22 伤口切除性清创术 t 1.4
86.28 非切除性清创术 t 1.1
86.59 皮肤缝合术 t 1.05
86.69 游离皮片移植术 s 2.5
84.15 膝下截肢术 s 2.5
84.11 趾截断术 s 1.6
38.93 静脉置管术 t 1.1
99.25 化疗药物注射 t 1.3
92.24 光子远距离放射治疗 t 2.5
99.28 肿瘤生物治疗 t 2.0
86.07 完全植入式输液港置入术 t 1.4
41.31 骨髓活检 d 1.1
99.04 浓缩红细胞输注 t 1.1
99.05 血小板输注 t 1.15
80.6 关节镜下半月板切除术 s 2.0
81.54 全膝关节置换术 s 4.5
80.26 膝关节镜检查 d 1.5
81.45 前交叉韧带重建术 s 2.8
79.35 股骨骨折切开复位内固定术 s 3.0
81.52 人工股骨头置换术 s 3.5
81.51 全髋关节置换术 s 4.5
79.15 股骨骨折闭合复位内固定术 s 2.6
78.65 股骨内固定物取出术 s 1.6
81.08 腰椎后路融合术 s 4.0
80.51 椎间盘切除术 s 2.5
81.66 经皮椎体后凸成形术 t 2.5
81.02 颈椎前路融合术 s 4.0
03.09 椎管减压术 s 3.0
79.32 尺桡骨骨折切开复位内固定术 s 2.2
79.31 肱骨骨折切开复位内固定术 s 2.4
79.01 肱骨骨折闭合复位术 t 1.2
79.02 尺桡骨骨折闭合复位术 t 1.15
83.63 肩袖修补术 s 2.5
79.33 掌骨骨折切开复位内固定术 s 1.8
79.36 胫腓骨骨折切开复位内固定术 s 2.5
78.67 胫腓骨内固定物取出术 s 1.5
79.16 胫腓骨骨折闭合复位内固定术 s 2.2
79.37 跗骨骨折切开复位内固定术 s 2.3
41.5 脾切除术 s 3.0
50.61 肝裂伤缝合术 s 3.0
"""

# treatment families: procedure codes (most common first) | combinations ("+")
_SYSTEMS = """
resp: 33.22 33.24 34.91 96.04 93.90 96.71 34.04 | 33.22+33.24
thor: 32.41 32.20 34.04 33.26 32.49 34.02 34.52 34.06 | 32.20+34.04 32.41+40.3
card: 88.57 36.07 37.34 37.83 99.62 37.22 37.0 00.66 | 00.66+36.07 00.66+36.07+88.57 37.22+88.57
cs: 35.52 35.53 35.71 35.21 35.24 36.12 | 35.21+39.61 35.24+39.61 36.12+39.61 35.71+39.61
aorta: 39.73 39.71 88.47
artery: 88.48 39.50 39.90 | 39.50+39.90 39.50+88.48
vein: 38.59 38.7 88.48
neuro: 88.41 03.31 99.10 39.74 00.62 93.39 | 39.74+88.41
nsurg: 01.39 01.24 01.59 01.31 39.72 02.34 39.51 88.41 | 01.24+01.59 01.24+01.39 39.72+88.41
rehab: 93.39 99.92 93.11 93.35 | 93.39+99.92 93.11+93.39
psy: 94.27 94.38
ugi: 45.13 45.16 44.43 43.41 42.33 42.92 44.42 | 45.13+45.16 43.41+45.16
gisurg: 45.62 54.59 43.7 43.6 43.99 42.41 54.11 45.13 | 45.62+54.59 40.3+43.99
lgi: 45.23 45.42 45.25 | 45.23+45.42 45.25+45.42
colsurg: 17.33 45.73 17.36 48.63 46.10 45.23 99.25 | 46.10+48.63 17.33+40.3
appx: 47.01 47.09 54.11 54.91
anal: 49.46 49.45 49.12 49.51 49.01 | 49.46+49.51 49.45+49.46
hb: 51.23 51.22 51.88 51.10 51.41 51.87 | 51.10+51.88 51.10+51.87 51.23+51.41
liver: 99.25 42.91 50.24 50.22 54.91 50.11 39.1 88.47 | 88.47+99.25 42.91+45.13
panc: 51.10 52.01 54.91 52.7 51.87 | 51.10+51.87
hernia: 53.05 17.12 53.41 53.61
uro: 56.0 98.51 55.04 59.8 57.0 | 56.0+59.8 55.04+59.8
prost: 60.29 60.11 57.94 60.5
bladder: 57.49 57.0 57.94 99.25 | 57.49+99.25
kidney: 55.4 55.51 55.23
scrotal: 61.2 63.1 62.5
penile: 64.0 58.45
neph: 39.95 38.95 39.27 55.23 54.93 | 38.95+39.95
obs: 73.59 74.1 73.6 75.69 69.02 69.51 75.4 | 73.59+73.6 73.59+75.69
gyn: 68.41 68.29 65.25 69.09 68.12 66.62 67.2 68.49 | 68.12+69.09 68.12+68.29
breast: 85.21 85.43 85.41 85.11 85.0 99.25 | 40.3+85.43 85.11+85.21
neo: 99.83 93.90 96.71 38.92 99.15 | 93.90+99.15 38.92+96.71
dental: 23.19 27.0 24.4
jaw: 76.76 24.4
salivary: 26.31 27.0
cleft: 27.62
thy: 06.2 06.4 06.39 06.11 40.3 | 06.4+40.3 06.2+40.3
lens: 13.41 13.71 | 13.41+13.71
retina: 14.79 14.24 14.74 | 14.24+14.74
glaucoma: 12.64 14.79 13.41 | 12.64+13.41
exteye: 11.39 15.11
nose: 21.31 22.63 21.5 21.03 | 21.31+22.63 21.5+22.63
throat: 28.2 28.3 30.09
ear: 20.01 19.4
skin: 86.3 86.04 83.39 86.22 86.59
wound: 86.22 86.59 86.28 86.69 84.15 84.11 | 86.22+86.59
burn: 86.22 86.69 86.28 | 86.22+86.69
dfoot: 86.22 84.11 39.50 86.28 84.15 88.48 | 84.11+86.22 39.50+88.48
icu: 96.04 96.71 96.72 38.93 39.95 31.1 | 96.04+96.71 96.04+96.72 31.1+96.72
heme: 41.31 99.04 99.25 99.05 38.93 86.07 | 41.31+99.25 99.04+99.05
onc: 99.25 92.24 99.28 86.07 38.93 41.31 | 99.25+99.28 38.93+99.25 86.07+99.25
knee: 80.6 81.54 80.26 81.45 | 80.26+80.6
hip: 79.35 81.52 81.51 79.15 78.65
spine: 81.08 80.51 81.66 81.02 03.09 | 03.09+81.08 80.51+81.08
shoulder: 79.31 79.01 83.63
forearm: 79.32 79.02
hand: 79.33 86.59 86.22
legfx: 79.36 78.67 79.16 79.37 78.65
abdtrauma: 41.5 50.61 54.11 54.91 | 41.5+54.11
none:
"""

# ICD-10 diagnoses: code, name, treatment family, base cost (yuan, conservative stay),
# share of stays with a procedure, age profile, tier (b basic / n normal / c complex),
# optional `t` (TCM-advantage disease) and `@codes` (the usual treatment).
# Age profiles: A adult, E elderly, M middle-aged, Y young adult, W women 20-60,
# O obstetric, C child, N newborn.
_DX = """
J18.9 肺炎 resp 5200 .08 A b
J18.0 支气管肺炎 resp 3800 .03 C b
J15.9 细菌性肺炎 resp 6500 .12 A n
J12.9 病毒性肺炎 resp 6000 .08 A n
J69.0 吸入性肺炎 resp 9500 .2 E n
J20.9 急性支气管炎 resp 3200 .02 A b
J21.9 急性毛细支气管炎 resp 3300 .02 C b
J06.9 急性上呼吸道感染 resp 2600 .01 C b
J02.9 急性咽炎 resp 2300 .01 A b
J03.9 急性扁桃体炎 resp 2500 .01 C b
J05.0 急性阻塞性喉炎 resp 2800 .02 C b
J11.1 流行性感冒 resp 3000 .01 A b
J44.1 慢性阻塞性肺病伴急性加重 resp 6800 .1 E b t
J44.0 慢性阻塞性肺病伴急性下呼吸道感染 resp 7200 .1 E b
J45.9 支气管哮喘 resp 4500 .05 A n t
J96.0 急性呼吸衰竭 icu 16000 .6 E c
J96.1 慢性呼吸衰竭 resp 11000 .35 E n
J84.1 间质性肺病 resp 9000 .2 E n
J85.1 肺脓肿 resp 12000 .3 A n
J86.9 脓胸 thor 14000 .6 A n
J93.1 自发性气胸 thor 6000 .65 Y n @34.04
J98.1 肺不张 resp 7000 .3 E n
A15.0 肺结核 resp 8000 .25 A n
A16.2 肺结核未经细菌学证实 resp 7000 .15 A n
R04.2 咯血 resp 5500 .3 A n
C34.1 上叶支气管或肺恶性肿瘤 thor 15000 .65 M c @32.41
C34.3 下叶支气管或肺恶性肿瘤 thor 15000 .6 M c @32.41
C34.9 支气管或肺恶性肿瘤 onc 9000 .75 M c
D14.3 支气管和肺良性肿瘤 thor 8000 .7 M n @32.20
S27.0 创伤性气胸 thor 7000 .55 Y n @34.04
S22.3 肋骨骨折 none 5000 0 A n
S22.4 多发性肋骨骨折 thor 9000 .25 A n
I27.9 肺源性心脏病 resp 7000 .05 E b
I10.x 原发性高血压 card 3800 .03 E b t
I11.9 高血压性心脏病 card 5500 .08 E b
I20.0 不稳定型心绞痛 card 6500 .6 E n @00.66+36.07
I20.9 心绞痛 card 5500 .45 E n @88.57
I21.0 急性前壁心肌梗死 card 14000 .85 E c @00.66+36.07
I21.4 急性非ST段抬高型心肌梗死 card 12000 .8 E c @00.66+36.07
I21.9 急性心肌梗死 card 12000 .75 E c @00.66+36.07
I25.1 动脉硬化性心脏病 card 5000 .35 E b t @88.57
I25.2 陈旧性心肌梗死 card 5200 .3 E n @88.57
I48.0 阵发性心房颤动 card 6500 .3 E n @37.34
I47.1 室上性心动过速 card 6000 .6 A n @37.34
I49.5 病态窦房结综合征 card 7000 .7 E n @37.83
I44.2 三度房室传导阻滞 card 8000 .8 E n @37.83
I50.0 充血性心力衰竭 card 8000 .05 E n
I50.9 心力衰竭 card 7500 .05 E b
I42.0 扩张型心肌病 card 9000 .15 A n
I35.0 主动脉瓣狭窄 cs 12000 .5 E c @35.21+39.61
I34.0 二尖瓣关闭不全 cs 11000 .45 E c @35.24+39.61
I05.0 风湿性二尖瓣狭窄 cs 11000 .5 M c @35.24+39.61
Q21.1 房间隔缺损 cs 8000 .8 C c @35.52
Q21.0 室间隔缺损 cs 9000 .8 C c @35.53
I26.9 肺栓塞 vein 12000 .15 E c
I71.0 主动脉夹层 aorta 25000 .55 M c @39.73
I71.4 腹主动脉瘤 aorta 15000 .6 E c @39.71
I70.2 下肢动脉粥样硬化 artery 9000 .5 E n @39.50
I83.9 下肢静脉曲张 vein 5000 .85 M n @38.59
I80.2 下肢深静脉血栓形成 vein 8000 .2 E n @38.7
R55.x 晕厥 card 4500 .05 E n
I95.9 低血压 none 3500 0 E n
R07.4 胸痛 card 4200 .15 A b
I63.9 脑梗死 neuro 7500 .12 E b t
I63.5 脑动脉闭塞或狭窄引起的脑梗死 neuro 9000 .25 E n t
I63.4 脑动脉栓塞引起的脑梗死 neuro 11000 .3 E n @39.74+88.41
I61.9 脑出血 nsurg 15000 .3 E c
I61.0 半球皮质下脑出血 nsurg 16000 .35 E c
I60.9 蛛网膜下腔出血 nsurg 18000 .6 M c @39.72+88.41
I67.1 未破裂脑动脉瘤 nsurg 12000 .75 M c @39.72+88.41
I67.2 脑动脉硬化 neuro 4500 .05 E b t
G45.9 短暂性脑缺血发作 neuro 5000 .1 E b
I69.3 脑梗死后遗症 rehab 5500 .4 E b t
G40.9 癫痫 neuro 5000 .08 A n
G20.x 帕金森病 neuro 6000 .05 E n t
G43.9 偏头痛 neuro 3800 .02 Y b t
G51.0 贝尔麻痹 rehab 4000 .4 A b t @99.92
G50.0 三叉神经痛 nsurg 5000 .2 M n t
G61.0 吉兰-巴雷综合征 neuro 20000 .1 A c
G04.9 脑炎 neuro 12000 .15 A n
A87.9 病毒性脑膜炎 neuro 8000 .3 C n
G30.9 阿尔茨海默病 neuro 7000 .02 E n
R51.x 头痛 neuro 3200 .05 A b t
R42.x 头晕和眩晕 neuro 3300 .03 E b t
H81.1 良性阵发性位置性眩晕 neuro 3500 .02 M b t
H81.0 梅尼埃病 neuro 4200 .02 M n t
G47.0 失眠症 neuro 3500 .05 M b t
S06.0 脑震荡 neuro 3500 .02 A b
S06.5 创伤性硬脑膜下出血 nsurg 14000 .45 A c @01.31
S06.6 创伤性蛛网膜下腔出血 nsurg 10000 .15 A n
S06.3 局灶性脑损伤 nsurg 16000 .4 A c
C71.9 脑恶性肿瘤 nsurg 20000 .6 M c @01.59
D32.9 脑膜良性肿瘤 nsurg 18000 .75 M c @01.59
G91.9 脑积水 nsurg 12000 .6 A c @02.34
F20.9 精神分裂症 psy 9000 .1 Y n
F32.9 抑郁发作 psy 7500 .1 A n
F31.9 双相情感障碍 psy 9000 .1 Y n
F10.2 酒精依赖综合征 psy 6000 .02 M n
F41.1 广泛性焦虑障碍 psy 5000 .03 A n t
F03.x 痴呆 psy 8000 .02 E n
K29.7 胃炎 ugi 3300 .25 A b t
K29.5 慢性胃炎 ugi 3500 .45 A b t
K25.9 胃溃疡 ugi 5000 .5 A n
K25.4 胃溃疡伴出血 ugi 7500 .6 A n @44.43
K26.9 十二指肠溃疡 ugi 4800 .45 A n
K26.5 十二指肠溃疡伴穿孔 ugi 9000 .8 A n @44.42
K92.2 消化道出血 ugi 7000 .5 E n
K92.0 呕血 ugi 6500 .5 A n
K21.0 反流性食管炎 ugi 4000 .5 A b
K31.7 胃息肉 ugi 4500 .9 M n @43.41
K30.x 功能性消化不良 ugi 3000 .2 A b t
R10.4 腹痛 ugi 3000 .15 A b
D13.1 胃良性肿瘤 ugi 5000 .9 M n @43.41
K56.6 肠梗阻 gisurg 7000 .2 E n
K56.5 肠粘连伴梗阻 gisurg 8000 .3 A n @54.59
K91.3 术后肠梗阻 gisurg 8500 .25 A n
K55.0 急性肠系膜血管缺血 gisurg 25000 .5 E c
C15.9 食管恶性肿瘤 gisurg 15000 .55 E c @42.41
C16.0 贲门恶性肿瘤 gisurg 16000 .55 E c
C16.9 胃恶性肿瘤 gisurg 14000 .6 E c
K35.8 急性阑尾炎 appx 4000 .8 Y b @47.01
K35.2 急性阑尾炎伴弥漫性腹膜炎 appx 6000 .9 Y n
K36.x 慢性阑尾炎 appx 3500 .7 Y b @47.01
K65.0 急性腹膜炎 appx 9000 .5 A n
K40.9 腹股沟疝 hernia 3500 .9 E b @53.05
K40.3 腹股沟疝伴梗阻 hernia 5000 .85 E n
K42.9 脐疝 hernia 3500 .85 C n @53.41
K43.9 腹壁疝 hernia 4500 .8 E n
K57.3 结肠憩室病 lgi 5500 .3 E n
K58.9 肠易激综合征 lgi 3200 .2 A b t
K59.0 便秘 lgi 3000 .15 E b t
K50.9 克罗恩病 lgi 9000 .5 Y n
K51.9 溃疡性结肠炎 lgi 7500 .5 M n t
K63.5 结肠息肉 lgi 3500 .95 M n @45.42
K62.1 直肠息肉 lgi 3500 .9 M n @45.42
D12.6 结肠良性肿瘤 lgi 4000 .95 M n
C18.7 乙状结肠恶性肿瘤 colsurg 15000 .65 E c @17.36
C18.9 结肠恶性肿瘤 colsurg 13000 .6 E c
C20.x 直肠恶性肿瘤 colsurg 15000 .6 E c @48.63
A09.0 感染性胃肠炎 none 2600 0 A b
K52.9 非感染性胃肠炎 none 2700 0 A b t
A08.0 轮状病毒性肠炎 none 2400 0 C b
A04.9 细菌性肠道感染 none 3000 0 A b
K64.2 三度痔 anal 3000 .9 A b t
K64.3 四度痔 anal 3500 .92 A n
K60.3 肛瘘 anal 3500 .92 Y n @49.12
K60.2 肛裂 anal 3000 .85 Y n @49.51
K61.0 肛周脓肿 anal 3500 .9 Y n @49.01
K80.1 胆囊结石伴胆囊炎 hb 5500 .75 M n @51.23
K80.2 胆囊结石 hb 5000 .8 M b @51.23
K80.5 胆管结石 hb 8000 .75 E n @51.10+51.88
K80.3 胆管结石伴胆管炎 hb 9500 .7 E n @51.10+51.88
K81.0 急性胆囊炎 hb 5500 .4 M n @51.23
K81.1 慢性胆囊炎 hb 4500 .6 M b t @51.23
K83.0 胆管炎 hb 8500 .4 E n
K85.9 急性胰腺炎 panc 12000 .15 A n
K86.1 慢性胰腺炎 panc 8000 .15 M n
C25.9 胰腺恶性肿瘤 panc 15000 .35 E c
K70.3 酒精性肝硬化 liver 10000 .3 M n
K74.6 肝硬化 liver 9500 .3 M n
K72.9 肝衰竭 liver 18000 .2 M c
K76.0 脂肪肝 liver 3800 .05 M b
B18.1 慢性乙型病毒性肝炎 liver 6000 .08 M n t
I85.0 食管静脉曲张伴出血 liver 14000 .6 M c @42.91
K75.0 肝脓肿 liver 14000 .5 M n @54.91
R18.x 腹水 liver 6500 .4 E n @54.91
C22.0 肝细胞癌 liver 14000 .6 M c @88.47+99.25
C78.7 肝继发性恶性肿瘤 liver 10000 .6 E c
S36.0 脾损伤 abdtrauma 12000 .6 Y c
S36.1 肝损伤 abdtrauma 14000 .5 Y c
N20.0 肾结石 uro 4500 .7 M n @98.51
N20.1 输尿管结石 uro 4200 .75 M b @56.0
N20.2 肾结石伴输尿管结石 uro 5500 .8 M n
N21.0 膀胱结石 uro 4000 .75 E n @57.0
N13.3 肾积水 uro 5000 .5 A n
N35.9 尿道狭窄 uro 6000 .6 E n
R31.x 血尿 uro 4000 .3 E n
N40.x 前列腺增生 prost 5000 .6 E b @60.29
C61.x 前列腺恶性肿瘤 prost 12000 .5 E c
C67.9 膀胱恶性肿瘤 bladder 11000 .75 E c @57.49
C64.x 肾恶性肿瘤 kidney 15000 .8 M c
D30.0 肾良性肿瘤 kidney 10000 .8 M n
D35.0 肾上腺良性肿瘤 kidney 10000 .8 M n
S37.0 肾损伤 kidney 9000 .25 Y n
N39.0 尿路感染 none 3500 0 E b
N10.x 急性肾盂肾炎 none 5000 0 A b
N45.9 睾丸炎和附睾炎 none 4000 0 Y n
N18.5 慢性肾脏病5期 neph 9000 .6 M n
N18.4 慢性肾脏病4期 neph 7000 .3 E n
N17.9 急性肾衰竭 neph 12000 .4 E c
N04.9 肾病综合征 neph 6500 .3 A n
N05.9 肾炎综合征 neph 6000 .4 A n
N02.8 复发性血尿 neph 5000 .5 Y n
E11.2 2型糖尿病伴肾并发症 neph 6500 .1 E n
N43.3 睾丸鞘膜积液 scrotal 3500 .9 C n @61.2
I86.1 阴囊静脉曲张 scrotal 3500 .9 Y n @63.1
N47.x 包茎 penile 2500 .95 C b @64.0
Q53.9 隐睾 scrotal 4000 .95 C n @62.5
Q54.9 尿道下裂 penile 6000 .95 C n @58.45
O80.0 单胎顺产 obs 3600 .6 O b @73.59
O82.0 选择性剖宫产 obs 5500 .97 O n @74.1
O82.1 急症剖宫产 obs 6200 .97 O n @74.1
O34.2 瘢痕子宫妊娠 obs 6000 .9 O n @74.1
O42.9 胎膜早破 obs 4200 .6 O n
O60.1 早产 obs 5200 .6 O n
O13.x 妊娠期高血压 obs 5500 .6 O n
O14.1 重度子痫前期 obs 9000 .8 O c @74.1
O24.4 妊娠期糖尿病 obs 4500 .5 O n
O03.4 不全流产 obs 2800 .85 O b @69.02
O02.1 稽留流产 obs 3000 .9 O b @69.51
O72.1 产后出血 obs 7000 .6 O n
O48.x 过期妊娠 obs 4200 .6 O n
O32.1 臀先露 obs 5500 .9 O n @74.1
O47.9 假临产 none 1800 0 O b
O21.0 轻度妊娠剧吐 none 3000 0 O b
O20.0 先兆流产 none 2500 0 O b t
O00.1 输卵管妊娠 gyn 5000 .85 O n @66.62
D25.9 子宫平滑肌瘤 gyn 6000 .9 W n
D27.x 卵巢良性肿瘤 gyn 6000 .9 W n @65.25
N83.2 卵巢囊肿 gyn 5000 .8 W n @65.25
N80.1 卵巢子宫内膜异位症 gyn 6500 .85 W n @65.25
N84.0 子宫内膜息肉 gyn 3500 .9 W n
N87.1 宫颈中度异型增生 gyn 3800 .9 W n @67.2
N92.0 月经过多 gyn 3500 .5 W n t
N93.8 异常子宫出血 gyn 3500 .55 W b t
N70.9 输卵管卵巢炎 gyn 4000 .1 W b t
N73.9 盆腔炎 gyn 4000 .05 W b t
N81.2 子宫脱垂 gyn 6000 .85 E n
N97.9 女性不孕症 gyn 4500 .7 W n
C54.1 子宫内膜恶性肿瘤 gyn 14000 .75 M c
C56.x 卵巢恶性肿瘤 gyn 15000 .7 M c
C53.9 子宫颈恶性肿瘤 onc 12000 .7 M c
N60.1 弥漫性乳腺囊性增生 breast 3000 .6 W b
D24.x 乳腺良性肿瘤 breast 3500 .95 W n
C50.9 乳腺恶性肿瘤 breast 11000 .8 M c
N61.x 乳腺炎 breast 3500 .4 W b t
O91.1 哺乳期乳腺脓肿 breast 3800 .6 O n @85.0
Z38.0 单胎活产婴儿 none 1500 0 N b
P59.9 新生儿黄疸 neo 3500 .6 N b @99.83
P07.3 早产儿 neo 12000 .5 N c
P22.0 新生儿呼吸窘迫综合征 neo 20000 .85 N c
P23.9 新生儿肺炎 neo 5500 .3 N n
P36.9 新生儿败血症 neo 9000 .3 N n
P21.9 新生儿窒息 neo 8000 .5 N n
P05.1 小于胎龄儿 neo 6000 .3 N n
B08.4 手足口病 none 2500 0 C b
B01.9 水痘 none 2600 0 C b
R56.0 热性惊厥 none 3000 0 C b
D69.0 过敏性紫癜 none 4500 0 C n
M30.3 皮肤黏膜淋巴结综合征 none 9000 0 C n
Q35.9 腭裂 cleft 7000 .95 C n @27.62
E11.9 2型糖尿病 none 4800 0 E b t
E11.4 2型糖尿病伴神经并发症 rehab 5800 .15 E b t
E11.5 2型糖尿病伴周围循环并发症 dfoot 9500 .45 E n
E11.1 2型糖尿病伴酮症酸中毒 none 6500 0 A n
E11.3 2型糖尿病伴眼并发症 retina 5000 .7 E n @14.24
E10.1 1型糖尿病伴酮症酸中毒 none 7000 0 Y n
E05.0 毒性弥漫性甲状腺肿 thy 4500 .3 A n
E04.1 甲状腺单个结节 thy 4500 .9 M n @06.2
E04.2 多结节性甲状腺肿 thy 5000 .9 M n
C73.x 甲状腺恶性肿瘤 thy 9000 .95 M c @06.4+40.3
E03.9 甲状腺功能减退 none 4000 0 M b
E87.1 低钠血症 none 4500 0 E n
E87.6 低钾血症 none 3800 0 A b
E78.5 高脂血症 none 3500 0 M b t
M10.9 痛风 none 4000 0 M b t
M17.1 单侧原发性膝关节病 knee 5000 .3 E b t @81.54
M16.1 单侧原发性髋关节病 hip 7000 .6 E n @81.51
M51.2 腰椎间盘突出 spine 5500 .25 M b t @80.51
M50.1 颈椎间盘疾患伴神经根病 spine 6000 .25 M n t @81.02
M47.8 颈椎病 rehab 4500 .4 M b t
M48.0 椎管狭窄 spine 7000 .5 E n @03.09+81.08
M54.5 腰痛 rehab 3500 .35 M b t
M54.2 颈痛 rehab 3300 .35 M b t
M75.0 冻结肩 rehab 3800 .35 M b t
M75.1 肩袖综合征 shoulder 5000 .6 M n @83.63
M23.2 陈旧性半月板撕裂 knee 5000 .8 Y n @80.6
S83.2 半月板撕裂 knee 5500 .8 Y n @80.6
M81.9 骨质疏松 none 4500 0 E b t
M80.9 骨质疏松伴病理性骨折 spine 8000 .6 E n @81.66
M87.0 特发性股骨头缺血性坏死 hip 8000 .6 M n t @81.51
M06.9 类风湿性关节炎 none 5500 0 M n t
M45.x 强直性脊柱炎 none 6000 0 Y n
M32.1 系统性红斑狼疮 none 9000 0 Y n
M86.9 骨髓炎 wound 10000 .6 A n
T84.0 关节假体机械性并发症 hip 15000 .7 E c
Z47.0 骨折内固定装置取出 legfx 2500 .97 Y b @78.67
S72.0 股骨颈骨折 hip 8000 .85 E n @81.52
S72.1 股骨转子间骨折 hip 8500 .85 E n @79.15
S72.3 股骨干骨折 hip 9000 .9 A n @79.35
S82.2 胫骨干骨折 legfx 7000 .85 A n @79.36
S82.6 外踝骨折 legfx 6000 .8 A n @79.36
S82.8 小腿其他骨折 legfx 6500 .8 A n
S92.0 跟骨骨折 legfx 6500 .7 A n @79.37
S52.5 桡骨下端骨折 forearm 5000 .6 E n @79.32
S52.6 尺桡骨下端骨折 forearm 5000 .65 A n
S42.2 肱骨上端骨折 shoulder 6500 .7 E n @79.31
S42.0 锁骨骨折 shoulder 5000 .75 A n
S62.6 指骨骨折 hand 3500 .6 A b
S43.0 肩关节脱位 shoulder 4000 .5 A n
S32.0 腰椎骨折 spine 7000 .5 E n
S22.0 胸椎骨折 spine 7000 .5 E n
S32.8 骨盆骨折 none 9000 0 E n
S68.1 手指创伤性切断 wound 5000 .85 A n
S01.8 头部开放性伤口 wound 2500 .7 A b @86.59
S51.8 前臂开放性伤口 wound 3000 .7 A b
S81.8 小腿开放性伤口 wound 3200 .75 A b
T81.4 操作后感染 wound 8000 .4 A n
L97.x 下肢溃疡 wound 7000 .5 E n
S02.6 下颌骨骨折 jaw 9000 .85 Y n @76.76
T30.0 烧伤 burn 8000 .4 A n
T60.0 有机磷农药中毒 icu 9000 .3 A n
A41.9 脓毒症 icu 18000 .4 E c
T51.0 乙醇中毒 none 2500 0 A b
T58.x 一氧化碳中毒 none 5000 0 A n
T63.0 蛇毒中毒 none 6000 0 A n
T78.4 过敏反应 none 2800 0 A b
B02.9 带状疱疹 none 4000 0 E b t
L40.0 寻常型银屑病 none 5000 0 A n t
L50.9 荨麻疹 none 2800 0 A b t
L20.9 特应性皮炎 none 3500 0 C b t
L30.9 皮炎 none 3000 0 A b t
L03.1 四肢蜂窝织炎 skin 4500 .3 A b t
L02.4 四肢皮肤脓肿 skin 3500 .7 A b
L08.9 皮肤感染 skin 3500 .2 A b
L72.1 毛根鞘囊肿 skin 2500 .95 A n
D17.9 脂肪瘤 skin 3000 .95 M n
D18.0 血管瘤 skin 4500 .8 C n
D50.9 缺铁性贫血 heme 4500 .3 A b
D64.9 贫血 heme 4500 .3 E b
D61.9 再生障碍性贫血 heme 12000 .5 A c
D69.3 特发性血小板减少性紫癜 heme 8000 .4 A n
D70.x 粒细胞缺乏症 heme 8000 .2 A n
D46.9 骨髓增生异常综合征 heme 9000 .6 E c
C92.0 急性髓样白血病 heme 25000 .85 A c
C91.0 急性淋巴细胞白血病 heme 22000 .85 C c
C90.0 多发性骨髓瘤 heme 16000 .75 E c
C83.3 弥漫大B细胞淋巴瘤 onc 18000 .85 M c
C11.9 鼻咽恶性肿瘤 onc 14000 .85 M c
C79.5 骨继发性恶性肿瘤 onc 10000 .6 E c
C78.0 肺继发性恶性肿瘤 onc 9000 .6 E c
C79.3 脑继发性恶性肿瘤 onc 12000 .6 E c
Z51.1 为肿瘤化学治疗疗程 onc 6500 .95 M n @99.25
Z51.0 放射治疗疗程 onc 9000 .95 M c @92.24
C32.9 喉恶性肿瘤 throat 14000 .7 E c
H66.9 中耳炎 ear 3500 .2 C b
H65.9 非化脓性中耳炎 ear 3800 .6 C n @20.01
H91.2 特发性突发性聋 ear 5000 .05 M n t
H72.9 鼓膜穿孔 ear 5000 .9 A n @19.4
J31.0 慢性鼻炎 nose 3500 .5 A b t
J32.9 慢性鼻窦炎 nose 6000 .85 A n @21.31+22.63
J33.9 鼻息肉 nose 6000 .9 A n @21.31
J34.2 鼻中隔偏曲 nose 5500 .95 Y n @21.5
J35.0 慢性扁桃体炎 throat 4000 .9 C n @28.2
J35.3 扁桃体伴腺样体肥大 throat 4500 .95 C n @28.3
J38.1 声带息肉 throat 3500 .95 A n @30.09
R04.0 鼻出血 nose 2800 .5 E b @21.03
H25.9 老年性白内障 lens 4000 .95 E n @13.41+13.71
H25.1 老年性核性白内障 lens 4000 .95 E n @13.41+13.71
H26.9 白内障 lens 4000 .9 E n @13.41+13.71
H40.9 青光眼 glaucoma 4500 .6 E n @12.64
H40.2 原发性闭角型青光眼 glaucoma 5000 .7 E n @12.64
H33.0 孔源性视网膜脱离 retina 7000 .95 M c @14.24+14.74
H35.3 黄斑变性 retina 6000 .8 E n @14.79
H34.8 视网膜静脉阻塞 retina 5500 .7 E n @14.79
H43.1 玻璃体积血 retina 6000 .85 E n @14.74
H11.0 翼状胬肉 exteye 2500 .95 M b @11.39
H50.0 内斜视 exteye 4000 .95 C n @15.11
H16.9 角膜炎 none 4000 0 A n
H20.9 虹膜睫状体炎 none 3800 0 A n
K04.7 根尖周脓肿 dental 2500 .5 A b @27.0
K01.1 阻生牙 dental 2500 .95 Y n @23.19
K09.0 牙源性颌骨囊肿 jaw 6000 .9 A n @24.4
K11.2 涎腺炎 salivary 3500 .3 A b
D11.0 腮腺良性肿瘤 salivary 7000 .95 M n @26.31
K12.2 口腔蜂窝织炎 dental 4000 .5 A n @27.0
R50.9 发热 none 3000 0 A b
"""

# diagnoses that are new this year: never in the history, so never in the catalogue
_NEW_DX = """
U07.1 新型冠状病毒感染 none 6000 0 E n
U10.9 儿童多系统炎症综合征 none 9000 0 C n
"""

_FIELDS = {"obs": "mch", "gyn": "mch", "neo": "mch", "psy": "psy",
           "lens": "eye", "retina": "eye", "glaucoma": "eye", "exteye": "eye",
           "hip": "ortho", "knee": "ortho", "spine": "ortho", "shoulder": "ortho",
           "forearm": "ortho", "hand": "ortho", "legfx": "ortho"}
_SPECIALTY_NAME = {"mch": "妇幼保健院", "ortho": "骨科医院", "eye": "眼科医院", "psy": "精神卫生中心"}


# ---------------------------------------------------------------- static tables

@lru_cache(maxsize=1)
def _proc_table() -> dict[str, tuple[str, int, float]]:
    """The procedure table: code -> (name, class index 1..3, cost factor)."""
    cls = {"d": 1, "t": 2, "s": 3}
    rows = [ln.split() for ln in _PROCS.strip().splitlines()]
    return {r[0]: (r[1], cls[r[2]], float(r[3])) for r in rows}


@lru_cache(maxsize=1)
def _systems() -> dict[str, tuple[list[str], list[str]]]:
    """Treatment families: name -> (single procedures, combinations)."""
    out = {}
    for ln in _SYSTEMS.strip().splitlines():
        name, rest = ln.split(":", 1)
        singles, _, combos = rest.partition("|")
        out[name.strip()] = (singles.split(), combos.split())
    return out


def _parse_dx(text: str) -> pd.DataFrame:
    rows = []
    for ln in text.strip().splitlines():
        p = ln.split()
        extra = p[7:]
        main = next((e[1:] for e in extra if e.startswith("@")), "")
        rows.append((p[0], p[1], p[2], float(p[3]), float(p[4]), p[5], p[6], "t" in extra, main))
    return pd.DataFrame(rows, columns=["code", "name", "system", "base", "p_proc", "age",
                                       "tier", "tcm", "main"])


@lru_cache(maxsize=1)
def _dx_table() -> pd.DataFrame:
    """All diagnoses (the new-this-year ones last, flagged `new`)."""
    dx = pd.concat([_parse_dx(_DX).assign(new=False), _parse_dx(_NEW_DX).assign(new=True)],
                   ignore_index=True)
    dx["dx3"] = dx["code"].str[:3]
    child = dx["age"].isin(["C", "N"])
    dx["field"] = dx["system"].map(_FIELDS).fillna("none").where(~child, "mch")
    dx["age_code"] = dx["age"].map({a: i for i, a in enumerate(AGE_PROFILES)})   # fast compares
    dx["tier_code"] = dx["tier"].map({"b": 0, "n": 1, "c": 2})
    return dx


# ---------------------------------------------------------------- key universe

def _options(dx: pd.Series, rng: np.random.Generator) -> list[tuple[tuple[str, ...], float]]:
    """Procedure options of one diagnosis with their (unnormalised) weights."""
    singles, combos = _systems()[dx["system"]]
    main = tuple(dx["main"].split("+")) if dx["main"] else ()
    singles = singles[: 2 + int(np.ceil(5 * dx["p_proc"]))]  # mostly-medical: the first few only
    usable = set(singles) | set(main)
    combos = [c for c in combos if set(c.split("+")) <= usable]
    opts: dict[tuple[str, ...], list] = {}             # sorted codes -> [codes, weight]

    def add(codes: tuple[str, ...], w: float) -> None:
        opts.setdefault(tuple(sorted(codes)), [codes, 0.0])[1] += w

    for k, code in enumerate(singles):
        add((code,), (k + 1) ** -1.2 * rng.lognormal(0, 0.5))
    for j, combo in enumerate(combos):
        add(tuple(combo.split("+")), 0.3 / (j + 1) * rng.lognormal(0, 0.5))
    for i, a in enumerate(singles[:4]):                    # the long tail: rare pairs
        for b in singles[i + 1: 4]:
            add((a, b), 0.004 * rng.lognormal(0, 1.0))
    if main:
        add(main, 1.5 * sum(w for _, w in opts.values()))
    return [(codes, w) for codes, w in opts.values()]


def _key_row(dx_idx: int, dx: pd.Series, codes: tuple[str, ...], weight: float) -> dict:
    """One diagnosis x treatment key: its group id, codes, class and cost factor."""
    procs = [_proc_table()[c] for c in codes]
    if codes:
        treat = "+".join(sorted(codes))
        cls = max(p[1] for p in procs)
        mult = 1.0 + sum(p[2] - 1.0 for p in procs)
        names = "+".join(p[0] for p in procs)
    else:
        treat, cls, mult, names = "conservative", 0, 1.0, CLASS_ZH[0]
    return {"dx": dx_idx, "fine_id": f"{dx['code'].upper()}|{treat}", "proc_codes": ";".join(codes) or None,
            "cls": cls, "mult": mult, "name": f"{dx['name']}-{names}", "w": weight}


def _universe(rng: np.random.Generator):
    """Diagnoses with popularity, and every diagnosis x treatment key with its weight."""
    dx = _dx_table()
    tier_w = dx["tier"].map({"b": 2.2, "n": 1.0, "c": 0.45}).to_numpy()
    pop = rng.lognormal(0, 0.9, len(dx)) * tier_w * ~dx["new"].to_numpy()
    rows, cons = [], np.zeros(len(dx), dtype=np.int64)
    for i, d in dx.iterrows():
        cons[i] = len(rows)
        rows.append(_key_row(i, d, (), 0.0))
        opts = _options(d, rng) if d["p_proc"] > 0 else []
        total = sum(w for _, w in opts)
        rows += [_key_row(i, d, codes, w / total) for codes, w in opts]
    keys = pd.DataFrame(rows)
    keys = pd.concat([keys, _novel_keys(dx, keys, rng)], ignore_index=True)
    keys["spread"] = rng.lognormal(0, 0.1, len(keys))
    wide = rng.random(len(keys)) < 0.04                      # a few very heterogeneous groups
    keys.loc[wide, "spread"] = rng.uniform(1.6, 2.0, int(wide.sum()))
    return dx, pop / pop.sum(), keys, cons


def _novel_keys(dx: pd.DataFrame, keys: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Keys no history has: a new diagnosis and unusual procedure combinations (weight 0)."""
    rows = [_key_row(i, dx.loc[i], (), 0.0) for i in np.flatnonzero(dx["new"])]
    known = set(keys["fine_id"])
    all_procs = np.array(list(_proc_table()))
    operated = keys.loc[keys["cls"] > 0].drop_duplicates("dx")
    for _, k in operated.sample(8, random_state=rng).iterrows():
        codes = tuple(k["proc_codes"].split(";")) + (str(rng.choice(all_procs)),)
        row = _key_row(int(k["dx"]), dx.loc[int(k["dx"])], tuple(dict.fromkeys(codes)), 0.0)
        if row["fine_id"] not in known:
            rows.append(row)
    return pd.DataFrame(rows)


def _option_sampler(keys: pd.DataFrame):
    """Flattened cumulative weights of procedure options: value dx + u falls in dx's slice."""
    opt = keys.index[(keys["w"] > 0)].to_numpy()
    d = keys.loc[opt, "dx"].to_numpy()
    w = keys.loc[opt, "w"].to_numpy()
    cum = np.zeros(len(opt))
    for g in np.unique(d):                                   # per diagnosis (a few hundred)
        m = d == g
        c = np.cumsum(w[m])
        c /= c[-1]
        c[-1] = 1.0
        cum[m] = g + c
    return opt, cum


# ---------------------------------------------------------------- hospitals

def _cn(n: int) -> str:
    """Chinese numeral for 1..99."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _level_counts(n_cases: int) -> np.ndarray:
    """Hospitals per level: ~150 for a 1.1M-case city, at least 8 so every kind exists."""
    n_h = max(8, int(round(150 * np.sqrt(n_cases / 1.1e6))))
    c = np.array([max(2, round(0.04 * n_h)), max(1, round(0.04 * n_h)),
                  max(2, round(0.15 * n_h)), max(1, round(0.11 * n_h)), 0])
    c[4] = max(2, n_h - c[:4].sum())
    return c


def _hospital_types(lvl: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """type (general/tcm/specialty) and specialty field per hospital."""
    p_tcm = np.array([0.0, 0.2, 0.2, 0.15, 0.03])[lvl]
    p_spec = np.array([0.0, 0.2, 0.2, 0.3, 0.0])[lvl]
    u = rng.random(len(lvl))
    typ = np.where(u < p_tcm, "tcm", np.where(u < p_tcm + p_spec, "specialty", "general"))
    first3a = np.flatnonzero(lvl == 0)
    typ[first3a[1]] = "tcm"                                  # the city's TCM hospital
    if len(first3a) >= 5:
        typ[first3a[2]] = "specialty"
    if not (typ == "specialty").any():
        typ[np.flatnonzero(lvl == 3)[-1]] = "specialty"
    field = np.where(typ == "specialty",
                     rng.choice(["mch", "ortho", "eye", "psy"], len(lvl), p=[0.5, 0.2, 0.15, 0.15]),
                     "none")
    field[(typ == "specialty") & (lvl == 0)] = "mch"
    return typ, field


def _hospital_names(lvl, district, typ, field) -> list[str]:
    """Generic names: 江阳区第一人民医院, 泸县中医医院, 合江县第三乡镇卫生院 ..."""
    seen: dict[str, int] = {}
    names = []
    for lv, d, t, f in zip(lvl, district, typ, field):
        if t == "specialty":
            stem, numbered = _SPECIALTY_NAME[f], False
        elif t == "tcm":
            stem, numbered = "中医医院", False
        elif lv == 4:
            stem, numbered = ("社区卫生服务中心" if d in DISTRICTS[:2] else "乡镇卫生院"), True
        else:
            stem, numbered = "人民医院", True
        k = seen[d + stem] = seen.get(d + stem, 0) + 1
        if numbered:
            names.append(f"{d}第{_cn(k)}{stem}")
        else:
            names.append(f"{d}{'' if k == 1 else '第' + _cn(k)}{stem}")
    return names


def _special_flags(lvl: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A few new, suspended, fraud-penalised hospitals and two level changes (never a 3A)."""
    n = len(lvl)
    free = lvl > 0
    out = {k: np.zeros(n, dtype=bool) for k in ("is_new", "suspended", "fraud_penalized")}
    change = np.full(n, "", dtype=object)

    def pick(levels, k=1):
        cand = np.flatnonzero(free & np.isin(lvl, levels))
        got = rng.choice(cand, min(k, len(cand)), replace=False)
        free[got] = False
        return got

    change[pick([1])] = "before"                             # 2A -> 3B before 30 June
    change[pick([2])] = "after"                              # 2B -> 2A after 30 June
    out["is_new"][pick([3, 4], max(1, round(0.02 * n)))] = True
    out["suspended"][pick([2, 3, 4], min(2, max(1, round(0.01 * n))))] = True
    out["fraud_penalized"][pick([2, 3, 4])] = True
    out["change"] = change
    return out


def _hospitals(n_cases: int, rng: np.random.Generator) -> pd.DataFrame:
    """The hospital table with the generator's hidden columns (prefixed `_`)."""
    counts = _level_counts(n_cases)
    lvl = np.repeat(np.arange(5), counts)
    n = len(lvl)
    pop = DISTRICT_POP / DISTRICT_POP.sum()
    urban = np.array([0.55, 0.45, 0, 0, 0, 0, 0])
    district_idx = np.where((lvl <= 1) & (rng.random(n) < 0.8),
                            rng.choice(7, n, p=urban), rng.choice(7, n, p=pop))
    district = np.array(DISTRICTS)[district_idx]
    typ, field = _hospital_types(lvl, rng)
    flags = _special_flags(lvl, rng)
    width = max(3, len(str(n)))
    h = pd.DataFrame({
        "hospital_id": [f"H{i + 1:0{width}d}" for i in range(n)],
        "name": _hospital_names(lvl, district, typ, field),
        "district": district, "level": np.array(LEVELS)[lvl], "reimb_level": REIMB_LEVEL[lvl],
        "type": typ,
        "assessment_score": _assessment(n, rng), "assessment_max": 100.0,
        "is_new": flags["is_new"], "suspended": flags["suspended"],
        "fraud_penalized": flags["fraud_penalized"]})
    _level_change(h, flags["change"], lvl, rng)
    h["violation_amount"] = 0.0                               # filled once costs are known
    h["bonus"] = np.nan                                       # left to the bonus rules
    _key_specialties(h, lvl, rng)
    h["_lvl"] = lvl
    h["_lvl_prior"] = pd.Series(h["prev_level"]).map({v: i for i, v in enumerate(LEVELS)}) \
        .fillna(pd.Series(lvl)).astype(int).to_numpy()
    h["_field"] = field
    h["_volume"] = LEVEL_VOLUME[lvl] * rng.lognormal(0, 0.5, n)
    h["_eff"] = _efficiency(lvl, typ, rng)
    # one second-level hospital over-treats every patient alike: dear, with a narrow spread,
    # so the high-deviation rule does not absorb it and it lands above 140 % (A-36)
    worst = rng.choice(np.flatnonzero(lvl == 2))
    h.loc[worst, "_eff"] = rng.uniform(1.85, 2.0)
    h["_spread"] = np.where(np.arange(n) == worst, 0.45, 1.0)
    h["_ffs_dev"] = rng.normal(0, 0.02, n)
    return h


def _efficiency(lvl: np.ndarray, typ: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hospital cost factor within its level, spread so that every sharing band is reached:
    lognormal, plus a few (at least one second-level) hospitals far dearer than their peers."""
    sd = np.array([0.06, 0.1, 0.2, 0.2, 0.2])[lvl]           # big hospitals vary less
    eff = np.exp(sd * rng.standard_normal(len(lvl))) * np.where(typ == "tcm", 0.95, 1.0)
    costly = (rng.random(len(lvl)) < 0.05) & (lvl >= 2)
    eff = np.where(costly, eff * rng.uniform(1.5, 1.9, len(lvl)), eff)
    return eff


def _assessment(n: int, rng: np.random.Generator) -> np.ndarray:
    """Assessment scores out of 100: mostly 80-100, a few weak hospitals."""
    s = np.clip(rng.normal(91, 4.5, n), 78, 100)
    weak = rng.random(n) < 0.03
    s[weak] = rng.uniform(60, 78, int(weak.sum()))
    return np.round(s * 2) / 2


def _level_change(h: pd.DataFrame, change: np.ndarray, lvl: np.ndarray, rng) -> None:
    """Dates and previous levels of the two level changes (A-25)."""
    before, after = change == "before", change == "after"
    date = np.full(len(h), np.datetime64("NaT"), dtype="datetime64[D]")
    date[before] = np.datetime64(f"{YEAR}-02-01") + rng.integers(0, 120, int(before.sum()))
    date[after] = np.datetime64(f"{YEAR}-07-15") + rng.integers(0, 120, int(after.sum()))
    prev = np.full(len(h), None, dtype=object)
    prev[before | after] = np.array(LEVELS)[lvl[before | after] + 1]
    h["level_change_date"], h["prev_level"] = date, prev


def _key_specialties(h: pd.DataFrame, lvl: np.ndarray, rng) -> None:
    """Counts of national / provincial / city key specialties, by level."""
    n = len(h)
    h["key_specialty_national"] = np.where(lvl == 0, rng.integers(0, 4, n), 0)
    h["key_specialty_provincial"] = np.select([lvl == 0, lvl == 1, lvl == 2],
                                              [rng.integers(2, 11, n), rng.integers(0, 5, n),
                                               rng.integers(0, 2, n)], 0)
    h["key_specialty_city"] = np.select([lvl == 0, lvl == 1, lvl <= 3],
                                        [rng.integers(5, 16, n), rng.integers(1, 9, n),
                                         rng.integers(0, 4, n)], 0)


def _hospital_choice(h: pd.DataFrame, dx: pd.DataFrame, active: np.ndarray):
    """Per diagnosis profile (tier, TCM, field): probabilities over hospitals."""
    lvl, typ, field = h["_lvl"].to_numpy(), h["type"].to_numpy(), h["_field"].to_numpy()
    profile = dx["tier"] + "/" + dx["tcm"].astype(str) + "/" + dx["field"]
    uniq, code = np.unique(profile.to_numpy(), return_inverse=True)
    probs = []
    for p in uniq:
        tier, tcm, fld = p.split("/")
        w = h["_volume"].to_numpy() * np.array(TIER_LEVEL_PREF[tier])[lvl] * active
        w = w * np.where(typ == "tcm", 3.0 if tcm == "True" else 0.7, 1.0)
        w = w * np.where(typ == "specialty", np.where(field == fld, 10.0, 0.02), 1.0)
        probs.append(w / w.sum())
    return code, probs


# ---------------------------------------------------------------- one year of stays

def _draw_stays(n: int, ctx: dict, active: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Diagnosis, hospital, treatment key, age, scheme and aux type of n stays."""
    dx = rng.choice(len(ctx["dx"]), n, p=ctx["p_dx"])
    hosp = np.empty(n, dtype=np.int64)
    profile, probs = _hospital_choice(ctx["hosp"], ctx["dx"], active)
    order = np.argsort(profile[dx], kind="stable")            # stays grouped by profile
    bounds = np.cumsum(np.bincount(profile[dx], minlength=len(probs)))
    for k, p in enumerate(probs):                             # a few dozen profiles
        idx = order[(bounds[k - 1] if k else 0): bounds[k]]
        hosp[idx] = rng.choice(len(p), len(idx), p=p)
    key = _draw_treatment(dx, hosp, ctx, rng)
    age = _draw_age(ctx["dx"]["age_code"].to_numpy()[dx], rng)
    return {"dx": dx, "hosp": hosp, "key": key, "age": age,
            "scheme": _draw_scheme(age, rng), "aux": _draw_aux(dx, age, ctx, rng)}


def _draw_treatment(dx, hosp, ctx, rng) -> np.ndarray:
    """Conservative, or a procedure option; hospitals of lower level operate less."""
    lvl = ctx["hosp"]["_lvl"].to_numpy()[hosp]
    p = np.clip(ctx["dx"]["p_proc"].to_numpy()[dx] * LEVEL_PROC[lvl], 0, 0.98)
    key = ctx["cons"][dx].copy()
    op = rng.random(len(dx)) < p
    opt, cum = ctx["sampler"]
    pos = np.searchsorted(cum, dx[op] + rng.random(int(op.sum())), side="right")
    key[op] = opt[pos]
    return key


def _draw_age(profile: np.ndarray, rng) -> np.ndarray:
    """Age in years by the diagnosis's age profile (codes into AGE_PROFILES)."""
    age = np.zeros(len(profile))
    for p, spec in enumerate(AGE_PROFILES.values()):
        m = profile == p
        if spec == "child":
            age[m] = np.minimum(rng.exponential(3.5, int(m.sum())), 14)
        elif spec is not None:                                # newborns stay 0
            mu, sd, lo, hi = spec
            age[m] = np.clip(rng.normal(mu, sd, int(m.sum())), lo, hi)
    return np.floor(age).astype(np.int64)


def _draw_scheme(age: np.ndarray, rng) -> np.ndarray:
    """0 employee / 1 resident: children are residents; working age and retirees split."""
    p_emp = np.select([age < 18, age < 60], [0.0, 0.41], 0.35)
    return (rng.random(len(age)) >= p_emp).astype(np.int64)


def _draw_aux(dx, age, ctx, rng) -> np.ndarray:
    """Aux type code (0 none, 1.. = AUX order): severity, age bands; the highest applies."""
    n = len(dx)
    tier = ctx["dx"]["tier_code"].to_numpy()[dx]
    u = rng.random(n)
    sev3 = u < np.array([0.01, 0.03, 0.08])[tier]
    sev2 = ~sev3 & (u < np.array([0.06, 0.11, 0.20])[tier])
    newborn = (ctx["dx"]["age_code"].to_numpy()[dx] == list(AGE_PROFILES).index("N")) \
        & (rng.random(n) < 0.6)
    old = (age >= 65) & (rng.random(n) < 0.25)
    return np.select([newborn, sev3, sev2, old], [4, 2, 1, 3], 0)


# ---------------------------------------------------------------- costs and dates

def _raw_cost(st: dict, year: int, ctx: dict, rng) -> np.ndarray:
    """Cost before the city-wide scale: group x level x hospital x year x aux x noise."""
    keys, h = ctx["keys"], ctx["hosp"]
    lvl_cost = LEVEL_COST[h["_lvl_prior"].to_numpy()[st["hosp"]]]
    base = ctx["dx"]["base"].to_numpy()[st["dx"]] * keys["mult"].to_numpy()[st["key"]]
    aux_coef = np.array([0.0] + [c for _, c in AUX])[st["aux"]]
    s = keys["spread"].to_numpy()[st["key"]] * h["_spread"].to_numpy()[st["hosp"]]
    comp = rng.choice(3, len(s), p=MIX_P)
    z = s * (MIX_MU[comp] + MIX_SD[comp] * rng.standard_normal(len(s)))
    norm = (MIX_P[None, :] * np.exp(s[:, None] * MIX_MU + (s[:, None] * MIX_SD) ** 2 / 2)).sum(1)
    cost = base * lvl_cost * h["_eff"].to_numpy()[st["hosp"]] * np.exp(z) / norm
    cost *= (1 + 1.2 * aux_coef) * np.where(st["transferred"], 0.7, 1.0)
    st["_ratio"] = np.exp(z) / norm                            # for the length of stay
    return cost / COST_GROWTH ** (YEAR - year)


def _dates(st: dict, year: int, ctx: dict, rng) -> None:
    """Discharge date (seasonal), length of stay and admission date."""
    n = len(st["dx"])
    starts = np.arange(f"{year}-01", f"{year + 1}-01", dtype="datetime64[M]").astype("datetime64[D]")
    ends = np.append(starts[1:], np.datetime64(f"{year + 1}-01-01"))
    month = rng.choice(12, n, p=MONTH_WEIGHT / MONTH_WEIGHT.sum())
    if year == YEAR:                                          # suspended in September
        cut = ctx["hosp"]["suspended"].to_numpy()[st["hosp"]]
        month[cut] = rng.integers(0, 8, int(cut.sum()))
    days = (ends - starts).astype(np.int64)
    st["discharge"] = starts[month] + np.floor(rng.random(n) * days[month]).astype(np.int64)
    typical = ctx["dx"]["base"].to_numpy()[st["dx"]] * ctx["keys"]["mult"].to_numpy()[st["key"]]
    base_los = np.clip(2.5 + 6.5 * np.sqrt(typical / 8000), 2, 25)
    los = base_los * st["_ratio"] ** 0.55 * rng.lognormal(0, 0.25, n)
    st["los"] = np.clip(np.round(los), 1, 120).astype(np.int64)
    st["admit"] = st["discharge"] - st["los"]


def _fund_share(st: dict, ctx: dict, rng) -> None:
    """ffs_fund (<= total_cost) and self_pay, by scheme and hospital level."""
    h = ctx["hosp"]
    lvl = h["_lvl"].to_numpy()[st["hosp"]]
    ratio = FFS_RATIO[st["scheme"], lvl] + h["_ffs_dev"].to_numpy()[st["hosp"]]
    ratio = np.clip(ratio + rng.normal(0, 0.035, len(lvl)), 0.3, 0.9)
    st["ffs_fund"] = np.minimum(np.round(st["cost"] * ratio, 2), st["cost"])
    st["self_pay"] = np.round(st["cost"] - st["ffs_fund"], 2)


def _flags(st: dict, ctx: dict, rng) -> None:
    """Transfers (~1 %), quality-control failures (~1.5 %), late uploads (~0.5 %)."""
    n = len(st["dx"])
    lvl = ctx["hosp"]["_lvl"].to_numpy()[st["hosp"]]
    st["transferred"] = rng.random(n) < 0.01 * LEVEL_TRANSFER[lvl] / 0.9
    st["qc_pass"] = rng.random(n) >= 0.015
    st["uploaded_on_time"] = rng.random(n) >= 0.005
    st["tcm_advantage"] = np.zeros(n, dtype=bool)


# ---------------------------------------------------------------- the current year

def _inject_unknown(st: dict, ctx: dict, rng) -> None:
    """~0.15 % of stays get a key no catalogue has (new diagnosis or procedure combination)."""
    novel = np.flatnonzero(ctx["keys"]["w"].to_numpy() == 0)
    novel = novel[~np.isin(novel, ctx["cons"][~ctx["dx"]["new"].to_numpy()])]
    n = len(st["dx"])
    idx = rng.choice(n, max(3, round(0.0015 * n)), replace=False)
    st["key"][idx] = rng.choice(novel, len(idx))
    st["dx"][idx] = ctx["keys"]["dx"].to_numpy()[st["key"][idx]]


def _readmission_pairs(st: dict, ctx: dict, rng):
    """Pick stays to copy: ~1.5 % same-group readmissions, ~3 % other stays of a patient."""
    n = len(st["dx"])
    ok = np.flatnonzero(~ctx["hosp"]["suspended"].to_numpy()[st["hosp"]])
    k_same, k_other = max(4, round(0.015 * n)), round(0.03 * n)
    # chronic, basic conditions come back most: weight basic-tier stays 3x (weighted sampling
    # without replacement by the largest log(u) / w)
    w = np.where(ctx["dx"]["tier_code"].to_numpy()[st["dx"][ok]] == 0, 3.0, 1.0)
    score = np.log(rng.random(len(ok))) / w
    top = np.argpartition(-score, 2 * k_same - 1)[: 2 * k_same]
    same = ok[top[np.argsort(-score[top], kind="stable")]]
    rest = np.ones(len(ok), dtype=bool)
    rest[top] = False
    other = rng.permutation(ok[rest])[: 2 * k_other]
    prof = ctx["dx"]["age_code"].to_numpy()[st["dx"]]
    other = other[np.argsort(prof[other], kind="stable")]  # pair stays of one age profile
    src, dst = other[0::2], other[1::2]
    keep = prof[src] == prof[dst]
    return (same[0::2], same[1::2]), (src[keep], dst[keep])


def _copy_patient(st: dict, src, dst, same_group: bool, ctx: dict, rng) -> None:
    """The later stay takes the earlier stay's patient (and group, for a readmission)."""
    for col in ("patient", "age", "scheme"):
        st[col][dst] = st[col][src]
    if same_group:
        st["dx"][dst], st["key"][dst] = st["dx"][src], st["key"][src]
        # 1 in 5 comes back to another hospital: a general one, as busy as the stays show
        general = ctx["hosp"]["type"].to_numpy()[st["hosp"][dst]] == "general"
        other = st["hosp"][dst][general] if general.any() else st["hosp"][src]
        moved = rng.random(len(dst)) < 0.2
        st["hosp"][dst] = np.where(moved, rng.choice(other, len(dst)), st["hosp"][src])


def _readmission_dates(st: dict, src, dst, rng) -> None:
    """Readmitted 0-30 days after discharge (about 2 in 3 within 14 days), in the year."""
    gap = np.where(rng.random(len(src)) < 0.65, rng.integers(0, 15, len(src)),
                   rng.integers(15, 31, len(src)))
    admit = st["discharge"][src] + gap
    over = np.maximum((admit + st["los"][dst] - np.datetime64(f"{YEAR}-12-31")).astype(np.int64), 0)
    for col in ("admit", "discharge"):
        st[col][src] -= over
    st["admit"][dst] = admit - over
    st["discharge"][dst] = st["admit"][dst] + st["los"][dst]


def _tcm_cases(st: dict, ctx: dict, groups: pd.DataFrame, rng) -> None:
    """TCM-advantage stays: about a third of TCM-standard group stays at TCM hospitals."""
    has_std = groups["tcm_standard"].notna().to_numpy()
    gidx = ctx["key_group"][st["key"]]
    in_std = (gidx >= 0) & has_std[np.maximum(gidx, 0)]
    at_tcm = ctx["hosp"]["type"].to_numpy()[st["hosp"]] == "tcm"
    st["tcm_advantage"] = in_std & at_tcm & (rng.random(len(gidx)) < 0.35)


# ---------------------------------------------------------------- catalogue

def _groups_from_history(hist_key: np.ndarray, hist_cost: np.ndarray, hist_hosp: np.ndarray, ctx: dict):
    """Core keys (>= 15 history cases) and comprehensive groups dx3 x class (A-15)."""
    keys, dx = ctx["keys"], ctx["dx"]
    n_hist = np.bincount(hist_key, minlength=len(keys))
    core = n_hist >= CORE_MIN_CASES
    dx3 = dx["dx3"].to_numpy()[keys["dx"].to_numpy()]
    comp_id = pd.Series(dx3) + "|comp|" + pd.Series(np.array(CLASSES)[keys["cls"].to_numpy()])
    label = np.where(core, keys["fine_id"].to_numpy(), comp_id.to_numpy())
    in_cat = np.unique(label[n_hist > 0])                     # sorted group ids
    key_group = np.searchsorted(in_cat, label)
    key_group[(key_group >= len(in_cat)) | (in_cat[np.minimum(key_group, len(in_cat) - 1)] != label)] = -1
    g = key_group[hist_key]
    cnt = np.bincount(g, minlength=len(in_cat))
    mean = np.bincount(g, hist_cost, len(in_cat)) / cnt
    var = (np.bincount(g, hist_cost ** 2, len(in_cat)) - cnt * mean ** 2) / np.maximum(cnt - 1, 1)
    cv = np.where(cnt > 1, np.sqrt(np.maximum(var, 0)) / mean, 0.0)
    low = REIMB_LEVEL[ctx["hosp"]["_lvl"].to_numpy()[hist_hosp]] <= 2
    low_share = np.bincount(g, low.astype(float), len(in_cat)) / cnt
    return label, key_group, pd.DataFrame({"group_id": in_cat, "n": cnt, "mean": mean, "cv": cv,
                                           "low_share": low_share})


def _catalogue(groups: pd.DataFrame, key_group: np.ndarray, M: float, ctx: dict, rng) -> pd.DataFrame:
    """catalogue.csv: type, RW (A-16), grassroots, category and TCM standard."""
    keys, dx = ctx["keys"], ctx["dx"]
    first_key = pd.Series(np.arange(len(keys))).groupby(key_group).first().drop(-1, errors="ignore")
    k = first_key.reindex(np.arange(len(groups))).to_numpy()
    core = ~groups["group_id"].str.contains("|comp|", regex=False).to_numpy()
    d = keys["dx"].to_numpy()[k]
    rw = groups["mean"].to_numpy() / M * 1000
    names = np.where(core, keys["name"].to_numpy()[k],
                     dx["dx3"].to_numpy()[d] + dx["name"].to_numpy()[d] + "等-综合病种("
                     + np.array(CLASS_ZH)[keys["cls"].to_numpy()[k]] + ")")
    simple = (keys["cls"].to_numpy()[k] == 0) | (keys["mult"].to_numpy()[k] <= 1.3)
    basic = _grassroots(core & (dx["tier"].to_numpy()[d] == "b") & simple & (rw < 800), groups)
    monitored = core & (groups["cv"].to_numpy() > CV_MONITOR)
    ambiguous = core & ~monitored & (rng.random(len(groups)) < 0.01)
    tcm = core & dx["tcm"].to_numpy()[d] & (keys["cls"].to_numpy()[k] != 3)
    std = np.round(groups["mean"].to_numpy() * COST_GROWTH * rng.uniform(0.9, 1.1, len(groups)), -1)
    return pd.DataFrame({
        "group_id": groups["group_id"], "name": names,
        "group_type": np.where(core, "core", "comprehensive"), "rw": rw, "policy_factor": 1.0,
        "grassroots": basic, "category": np.select([monitored, ambiguous], ["monitored", "ambiguous"], "normal"),
        "tcm_standard": np.where(tcm, std, np.nan), "history_cases": groups["n"]})


def _grassroots(cand: np.ndarray, groups: pd.DataFrame) -> np.ndarray:
    """Grassroots list (A-15 ¶2): cheap common groups mostly treated in hospitals of
    reimbursement level <= 2, about 3-8 % of groups; a small city whose few hospitals miss
    the 60 % share takes its candidates with the highest share instead."""
    share, n = groups["low_share"].to_numpy(), groups["n"].to_numpy()
    n_min, n_max = max(3, int(0.03 * len(groups))), int(0.08 * len(groups))
    pick = cand & (share >= 0.6)
    if pick.sum() > n_max:                                    # the most common ones
        pick &= n >= np.sort(n[pick])[-n_max]
    if pick.sum() < n_min:
        order = np.lexsort((-n, -share))                      # highest share, then volume
        pick = np.zeros(len(cand), dtype=bool)
        pick[[i for i in order if cand[i]][:n_min]] = True
    return pick


def _level_costs(st: dict, ctx: dict) -> pd.DataFrame:
    """group_level_costs.csv: 2023 mean cost per group and the hospital's 2023 level."""
    g = ctx["key_group"][st["key"]]
    lvl = ctx["hosp"]["_lvl_prior"].to_numpy()[st["hosp"]]
    df = pd.DataFrame({"g": g, "level": lvl, "cost": st["cost"]})
    out = df.groupby(["g", "level"], sort=True)["cost"].mean().reset_index()
    return pd.DataFrame({"group_id": ctx["groups"]["group_id"].to_numpy()[out["g"]],
                         "level": np.array(LEVELS)[out["level"]], "mean_cost": out["cost"]})


# ---------------------------------------------------------------- fund

def _fund(st: dict, rng) -> pd.DataFrame:
    """fund.csv: budget lines so that F (A-12) is ~100-105 % of the scheme's ffs_fund."""
    rows = []
    shares = {0: [0.20, 0.42, 0.08, 0.06, 0.16], 1: [0.16, 0.40, 0.03, 0.14, 0.17]}
    for s, scheme in enumerate(SCHEMES):
        ffs = st["ffs_fund"][st["scheme"] == s].sum()
        E = ffs / 0.55 * rng.uniform(0.98, 1.02)              # DIP is about half of fund spending
        R = E * (rng.uniform(1.05, 1.10) if s == 0 else rng.uniform(1.002, 1.008))
        g = round(rng.uniform(0.045, 0.055), 3)
        A_prev = E * rng.uniform(0.01, 0.02)
        B = E * (1 + min(g, 0.08))                            # A-10, prior year balanced
        A = min(A_prev * (1 + g), 0.05 * B)
        lines = B - A - ffs * rng.uniform(1.01, 1.04)         # F = B - lines - A
        part = np.round(lines * np.array(shares[s]) * rng.uniform(0.95, 1.05, 5))
        months = rng.uniform(8, 12) if s == 0 else rng.uniform(4, 7)
        rows.append({"scheme": scheme, "prior_expenditure": round(E), "prior_revenue": round(R),
                     "revenue": round(R * (1 + g)), "revenue_growth": g,
                     "prior_adjustment_fund": round(A_prev),
                     "out_of_area": part[0], "local_outpatient": part[1], "maternity": part[2],
                     "critical_illness_premium": part[3], "non_dip_items": part[4],
                     "other_rigid": round(lines - part.sum()),
                     "opening_balance": round(B / 12 * months)})
    money = [c for c in rows[0] if c not in ("scheme", "revenue_growth")]
    return pd.DataFrame(rows).astype({c: "int64" for c in money})


# ---------------------------------------------------------------- assembly

def _context(n_cases: int, rng) -> dict:
    dx, p_dx, keys, cons = _universe(rng)
    hosp = _hospitals(n_cases, rng)
    return {"dx": dx, "p_dx": p_dx, "keys": keys, "cons": cons, "hosp": hosp,
            "sampler": _option_sampler(keys)}


def _year(n: int, year: int, ctx: dict, pid0: int, rng) -> dict[str, np.ndarray]:
    """All stays of one year (the current year with readmissions and unknown groups)."""
    h = ctx["hosp"]
    active = np.ones(len(h)) if year == YEAR else (~h["is_new"].to_numpy()).astype(float)
    st = _draw_stays(n, ctx, active, rng)
    st["patient"] = pid0 + np.arange(n)
    pairs = None
    if year == YEAR:
        _inject_unknown(st, ctx, rng)
        pairs = _readmission_pairs(st, ctx, rng)
        _copy_patient(st, *pairs[0], True, ctx, rng)
        _copy_patient(st, *pairs[1], False, ctx, rng)
    _flags(st, ctx, rng)
    st["cost"] = _raw_cost(st, year, ctx, rng)
    _dates(st, year, ctx, rng)
    if pairs is not None:
        _readmission_dates(st, *pairs[0], rng)
    st["year"] = year
    return st


def _build(n_cases: int, seed: int) -> dict:
    """Draw the whole city: context, history, current year, catalogue, fund."""
    if not 100 <= n_cases <= 50_000_000:
        from ...errors import ParameterError
        from ...messages import Message
        raise ParameterError(Message("synth_cases", low=100, high=50_000_000, got=n_cases))
    rng = np.random.default_rng(seed)
    ctx = _context(n_cases, rng)
    sizes = {y: max(1, round(n_cases * VOLUME_SHRINK ** (YEAR - y))) for y in (*HISTORY_YEARS, YEAR)}
    years, pid = {}, 0
    for y, n in sizes.items():
        years[y] = _year(n, y, ctx, pid, rng)
        pid += n
    scale = MEAN_COST_TARGET * rng.lognormal(0, 0.02) / years[YEAR]["cost"].mean()
    for st in years.values():
        st["cost"] = np.round(st["cost"] * scale, 2)
        _fund_share(st, ctx, rng)
    cat = _history_catalogue(years, ctx, rng)
    _tcm_cases(years[YEAR], ctx, cat, rng)
    _violations(ctx["hosp"], years[YEAR], rng)
    return {"ctx": ctx, "years": years, "catalogue": cat, "pid_width": max(7, len(str(pid))),
            "level_costs": _level_costs(years[HISTORY_YEARS[-1]], ctx), "fund": _fund(years[YEAR], rng)}


def _history_catalogue(years: dict, ctx: dict, rng) -> pd.DataFrame:
    """Group the three history years (A-15) and score the groups (A-16)."""
    hist = [years[y] for y in HISTORY_YEARS]
    hk, hc = np.concatenate([s["key"] for s in hist]), np.concatenate([s["cost"] for s in hist])
    hh = np.concatenate([s["hosp"] for s in hist])
    label, key_group, groups = _groups_from_history(hk, hc, hh, ctx)
    ctx.update(label=label, key_group=key_group, groups=groups)
    return _catalogue(groups, key_group, hc.mean(), ctx, rng)


def _violations(h: pd.DataFrame, st: dict, rng) -> None:
    """Violation amounts (cost terms) for ~15 % of hospitals: 0.1-1 % of their cost."""
    cost = np.bincount(st["hosp"], st["cost"], len(h))
    hit = rng.random(len(h)) < 0.15
    h["violation_amount"] = np.where(hit, np.round(cost * rng.uniform(0.001, 0.01, len(h))), 0.0)


# ---------------------------------------------------------------- arrow tables

def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """'C0000001'-style ids, built in Arrow."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _strs(values) -> pa.Array:
    """A string array from a small column; NaN / None become nulls."""
    v = pd.Series(values, dtype=object)
    return pa.array(v.where(v.notna(), None).tolist(), type=pa.string())


def _cases_table(st: dict, ctx: dict, b: dict) -> pa.Table:
    """cases.csv / history.csv rows of one year, in the column order of docs/data-contract.md."""
    keys, dx = ctx["keys"], ctx["dx"]
    key = pa.array(st["key"])
    n = len(st["key"])
    prefix = "C" if st["year"] == YEAR else f"C{st['year']}-"
    aux_names = pa.array([None] + [a for a, _ in AUX])
    return pa.table({
        "case_id": _ids(prefix, np.arange(1, n + 1), max(7, len(str(n)))),
        "patient_id": _ids("P", st["patient"] + 1, b["pid_width"]),
        "hospital_id": _strs(ctx["hosp"]["hospital_id"]).take(pa.array(st["hosp"])),
        "scheme": pa.array(list(SCHEMES)).take(pa.array(st["scheme"])),
        "admit_date": pa.array(st["admit"]), "discharge_date": pa.array(st["discharge"]),
        "group_id": _strs(ctx["label"]).take(key),
        "dx_code": _strs(dx["code"]).take(pa.array(keys["dx"].to_numpy()).take(key)),
        "proc_codes": _strs(keys["proc_codes"]).take(key),
        "proc_class": pa.array(list(CLASSES)).take(pa.array(keys["cls"].to_numpy()).take(key)),
        "total_cost": pa.array(st["cost"]), "ffs_fund": pa.array(st["ffs_fund"]),
        "self_pay": pa.array(st["self_pay"]), "age": pa.array(st["age"]),
        "aux_type": aux_names.take(pa.array(st["aux"])),
        "qc_pass": pa.array(st["qc_pass"]), "uploaded_on_time": pa.array(st["uploaded_on_time"]),
        "tcm_advantage": pa.array(st["tcm_advantage"]), "transferred": pa.array(st["transferred"])})


def _frame_table(df: pd.DataFrame) -> pa.Table:
    """A small DataFrame as an Arrow table (dates as date32, missing values as nulls)."""
    cols = {}
    for c in df.columns:
        v = df[c]
        if c.endswith("_date"):
            cols[c] = pa.array(v.to_numpy(dtype="datetime64[D]"), type=pa.date32())
        elif v.dtype == object or pd.api.types.is_string_dtype(v):
            cols[c] = _strs(v)
        else:
            cols[c] = pa.array(v.to_numpy(), from_pandas=True)
    return pa.table(cols)


def make_tables(n_cases: int = 1_100_000, seed: int = 0) -> dict[str, pa.Table]:
    """The data folder as Arrow tables (the fast path used by write_city)."""
    b = _build(n_cases, seed)
    ctx, years = b["ctx"], b["years"]
    hosp = ctx["hosp"][[c for c in ctx["hosp"].columns if not c.startswith("_")]]
    history = pa.concat_tables([_cases_table(years[y], ctx, b) for y in HISTORY_YEARS])
    return {
        "hospitals": _frame_table(hosp),
        "cases": _cases_table(years[YEAR], ctx, b),
        "catalogue": _frame_table(b["catalogue"]),
        "group_level_costs": _frame_table(b["level_costs"]),
        "history": history,
        "fund": _frame_table(b["fund"]),
        "aux": pa.table({"aux_type": [a for a, _ in AUX], "aux_coef": [c for _, c in AUX]}),
    }


def make_city(n_cases: int = 1_100_000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The data folder as DataFrames, by table name (hospitals, cases, catalogue, ...)."""
    return {name: t.to_pandas(date_as_object=False) for name, t in make_tables(n_cases, seed).items()}


def write_city(out_dir: str | Path, n_cases: int = 1_100_000, seed: int = 0) -> dict:
    """Write a complete data folder (UTF-8 CSV) and return a short summary."""
    t0 = time.perf_counter()
    tables = make_tables(n_cases, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    opts = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    for name, table in tables.items():
        pacsv.write_csv(table, out / f"{name}.csv", write_options=opts)
    return _summary(tables, out, time.perf_counter() - t0)


def _summary(tables: dict[str, pa.Table], out: Path, seconds: float) -> dict:
    """Counts a user wants to see after generating a city."""
    h, c, cat = tables["hospitals"], tables["cases"], tables["catalogue"]
    levels = pc.value_counts(h["level"]).to_pylist()
    gtypes = pc.value_counts(cat["group_type"]).to_pylist()
    return {
        "out_dir": str(out), "seconds": round(seconds, 2),
        "cases": c.num_rows, "history_cases": tables["history"].num_rows,
        "hospitals": h.num_rows, "hospitals_by_level": {d["values"]: d["counts"] for d in levels},
        "groups": cat.num_rows, "groups_by_type": {d["values"]: d["counts"] for d in gtypes},
        "employee_share": round(pc.mean(pc.cast(pc.equal(c["scheme"], "employee"), pa.float64())).as_py(), 4),
        "mean_cost": round(pc.mean(c["total_cost"]).as_py(), 2),
    }
