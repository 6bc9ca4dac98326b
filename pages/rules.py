"""规则 Rules: every parameter with value, unit and article, the quoted legal text, and the interpretation
register with the current choice of each switch."""
import json

import pandas as pd
import streamlit as st

from dip_model.rules.articles import article, articles, documents, quote
from ui import state
from ui.export import download_excel
from ui.i18n import current_lang, t, tr, unit_label
from ui.widgets import choice


def _shown(v) -> str:
    if v is None:
        return t("derived")
    if isinstance(v, (dict, list)):
        return "—" if not v else json.dumps(v, ensure_ascii=False)
    return str(v)


def _choice_label(ident: str, value: str) -> str:
    specific = t(f"choice_{ident}_{value}")
    return specific if specific != f"choice_{ident}_{value}" else t(f"choice_{value}")


def page() -> None:
    lang = current_lang()
    p, err = state.params_or_error()
    if err:
        st.error(tr(err))
    base = state.builtin_params()
    shown = p or base

    st.title(t("nav_rules"))
    docs = documents()
    st.caption(" · ".join(f"{d['number']}《{d['title']}》（{d['date']}）" for d in docs.values()))

    tab_params, tab_register, tab_text = st.tabs([t("rules_tab_params"), t("rules_tab_register"), t("rules_tab_text")])

    with tab_params:
        rows = []
        for path in shown.leaves():
            if path.startswith("interpretations."):
                continue
            m, b = shown.info(path), base.info(path)
            rows.append({t("param_path"): path, t("param_label"): m["label"][lang],
                         t("rules_current"): _shown(m["value"]), t("rule_value"): _shown(b["value"]),
                         t("rules_changed"): "●" if m["value"] != b["value"] else "",
                         t("unit"): unit_label(m.get("unit", "")), t("article"): m.get("article", "")})
        table = pd.DataFrame(rows)
        query = st.text_input(t("rules_search"), key=state.widget_key("rules_search"))
        if query:
            q = query.lower()
            table = table[table.apply(lambda r: q in " ".join(map(str, r.values)).lower(), axis=1)]
        st.dataframe(table, hide_index=True, width="stretch", height=420)
        download_excel(table, t("nav_rules"), "rules_params")
        pick = st.selectbox(t("rules_quote_for"), table[t("param_path")].tolist(), key=state.widget_key("rules_pick"),
                            format_func=lambda x: f"{x} · {shown.info(x)['label'][lang]}")
        if pick:
            m = shown.info(pick)
            note = m.get("note", {}).get(lang)
            if note:
                st.info(note)
            for key, a in quote(m.get("article", "")):
                with st.expander(f"{key} {a['number']}" + ("" if lang == "zh" else f" — {a['title_en']}"), expanded=True):
                    st.markdown(a["text"].replace("\n", "\n\n"))

    with tab_register:
        st.caption(t("rules_register_caption"))
        for path in [x for x in base.leaves() if x.startswith("interpretations.")] + ["coefficients.combine"]:
            ident = "I-5" if path == "coefficients.combine" else path.split(".")[1]
            m, b = shown.info(path), base.info(path)
            c1, c2 = st.columns([3, 2])
            alts = [c for c in m["choices"] if c != b["value"]]
            labels = {c: _choice_label(ident, c) for c in m["choices"]}
            head = f"**{ident}** · {m['label'][lang]}  \n{t('article')}: {m['article']} · {t('rules_default')}: {labels[b['value']]}"
            with c1:
                st.markdown(head + " · " + (f"{t('rules_alternatives')}: " + "、".join(labels[c] for c in alts) if alts
                                            else t("rules_no_alternative")))
            with c2:
                if alts:
                    choice(path, labels=labels)
                else:
                    st.write(labels[m["value"]])

    with tab_text:
        keys = [k for k in articles() if k != "documents"]
        key = st.selectbox(t("rules_article"), keys, key=state.widget_key("rules_article"),
                           format_func=lambda k: f"{k} {articles()[k]['number']} · {articles()[k]['title_en']}")
        a = article(key)
        st.caption(f"{a['doc']} · {a.get('chapter') or ''}")
        st.markdown(a["text"].replace("\n", "\n\n"))


state.run_page(page)
