"""The club's rules, free of any channel: no Telegram, no SMS, no web.

Results and errors carry codes and values; the channels turn them into sentences.
"""
