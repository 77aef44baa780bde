"""`ion cost-report`: what Cloud Run costs, what min instances, sizes and concurrency should be.

`analysis.build_report` turns a frame, the service configuration (`service_config`) and the
rate table (`pricing`) into a `CostReport` (`model`), with the per-step pricing maths in
`costing`, the recommendations in `recommend` and `rightsize`, what-if pricing in `whatif`
(with the queueing model of `projection`) and `--compare-to` in `compare`; `render` draws
it. `cloud_run` is the one module that changes min instances.
"""
