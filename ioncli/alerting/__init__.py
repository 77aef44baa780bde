"""Alert tuning: baselines, candidate rules, a Cloud Monitoring style backtest, budgets.

Pure analysis (frames in, dataclasses out) except `policies`, the one module that talks to
Cloud Monitoring through a client handed in by the command. `analysis.build_report` turns a
frame into a `TuneReport` (`model`) with `tune`'s rules; `render` draws it, `baselines` and
`promrules` write it as files.
"""
