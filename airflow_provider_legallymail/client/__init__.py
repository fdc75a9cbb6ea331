"""The HTTP core shared by both hooks: settings, retries, request budget and the transport itself.

``transport`` imports ``requests``; hooks import it lazily, when the first request is made.
"""
