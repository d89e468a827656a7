"""bench/incident in modules: one per target (sluice, direct, rsyslog), the scenario and its
sampler, the report and plot, and what they share (common)."""
