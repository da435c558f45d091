"""Alert subscriptions: match indexed articles against saved queries and notify subscribers.

``subscriptions`` loads and validates ``config/subscriptions.yaml``; ``matcher`` decides (purely)
which subscriptions an article document satisfies and why; ``notifiers`` deliver an alert (one
notifier per module behind a registry); ``transform.DispatchAlerts`` is the Beam step.
"""
