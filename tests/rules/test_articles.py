from dip_model.rules.articles import article, article_keys, quote
from dip_model.params import load_params


def test_ranges_and_lists():
    assert article_keys("A-18–A-21, A-24 (I-2)") == ["A-18", "A-19", "A-20", "A-21", "A-24"]
    assert article_keys("A-34.1 (I-7)") == ["A-34"]
    assert article_keys("K-9, K-10") == ["K-9", "K-10"]


def test_texts_are_the_gazettes():
    assert article("A-36")["number"] == "第三十六条"
    assert "结余留用比例=0.5×(基金使用率)-0.35" in article("A-36")["text"]
    assert "四舍五入至小数点后三位" in article("A-34")["text"]


def test_every_parameter_cites_an_existing_article():
    p = load_params()
    for path in p.leaves():
        assert quote(p.info(path)["article"]), path
