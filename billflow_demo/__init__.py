"""The demo: Billflow's portal on a sample site, with the Stripe sandbox behind it.

This is the one place that runs the portal on the sandbox. `billflow_core` never imports the
sandbox and `billflow_sandbox` imports nothing of the core, so what joins them lives here:
`billflow_demo.site`, the sample site with its sandbox and mailbox (`start_demo`).
"""
