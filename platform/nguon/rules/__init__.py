"""Rules: province packages, the durable-rules adapter and the tools for rule authors.

Only ``nguon.rules.engine`` imports durable-rules.
"""
