"""ICD-10 diagnoses: treatment family, base cost, share operated, age profile, tier, TCM advantage;
the diagnoses new this year; the specialty field of each family."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .calibration import AGE_PROFILES

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
def dx_table() -> pd.DataFrame:
    """All diagnoses (the new-this-year ones last, flagged `new`)."""
    dx = pd.concat([_parse_dx(_DX).assign(new=False), _parse_dx(_NEW_DX).assign(new=True)],
                   ignore_index=True)
    dx["dx3"] = dx["code"].str[:3]
    child = dx["age"].isin(["C", "N"])
    dx["field"] = dx["system"].map(_FIELDS).fillna("none").where(~child, "mch")
    dx["age_code"] = dx["age"].map({a: i for i, a in enumerate(AGE_PROFILES)})   # fast compares
    dx["tier_code"] = dx["tier"].map({"b": 0, "n": 1, "c": 2})
    return dx
