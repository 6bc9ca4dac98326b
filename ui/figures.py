"""Chart helpers the pages share: the chart font is the report's (dip_model.report.charts.FONT, one
definition for the dashboard, the exported images and the reports), and the layout of the groups and
coefficients charts."""
from __future__ import annotations

import plotly.graph_objects as go

from dip_model.report.charts import FONT


def font(size: int = 13) -> dict[str, object]:
    """The chart font (Chinese faces first) at `size` points."""
    return {"family": FONT, "size": size}


def titled(fig: go.Figure, x_title: str, y_title: str, title: str, height: int = 420) -> go.Figure:
    """Axis titles, a chart title (so an exported PNG says what it shows), the chart font, the legend on
    top, thousands separators up the y axis."""
    fig.update_layout(font=font(), height=height, title={"text": title, "x": 0, "xref": "paper", "xanchor": "left"},
                      margin={"l": 70, "r": 30, "t": 90, "b": 60}, xaxis_title=x_title, yaxis_title=y_title,
                      legend={"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom", "traceorder": "normal"})
    fig.update_yaxes(tickformat=",", automargin=True)
    fig.update_xaxes(automargin=True)
    return fig
