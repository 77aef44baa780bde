"""`ion dashboard`: five dashboards over one MetricFrame, as one report in four formats.

definitions.py says what each dashboard shows; analysis.py (with context.py, series.py and
events.py for alerts and anomalies) turns a frame and the current thresholds into a
`DashboardReport` (model.py); text.py, render.py and charts.py draw it. Everything here
imports pandas/numpy, so only command bodies import this package.
"""
