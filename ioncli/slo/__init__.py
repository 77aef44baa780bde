"""`ion slo`: service level objectives, error budgets and multiwindow burn-rate alerts.

Data flows source -> frame -> `events` (good and total requests per scope) -> `analysis`
(budget, burn rates, exhaustion, episodes) and `replay` (burn-rate rules over history, with
the tune-alerts backtest engine) -> the report (`model`, built by `analysis.build_report`) ->
`render`. `rules` writes Prometheus rules and `apply` is the only module that changes Cloud
Monitoring.
"""
