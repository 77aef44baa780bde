"""Alert tuning: baselines, candidate rules, a Cloud Monitoring style backtest, budgets.

Pure analysis (frames in, dataclasses out) except `policies`, the one module that talks to
Cloud Monitoring through a client handed in by the command.
"""
