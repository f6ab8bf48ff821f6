"""The help text: every kind of question the router understands, with an example each.

The examples work on the bundled demo store (2607.27230 and the FNet paper are in it).
"""

HELP = """Ask me for research papers in plain words:
• `fast FFT-based attention papers` · `top 3 papers on token mixing`
• `linear attention papers from this month` · `diffusion since 2024` · `by Yann LeCun`
• `trending papers this week` · `latest papers on state space models` · `… sorted by date`
• `similar 2607.27230` (or any arXiv / Hugging Face paper URL; I fetch papers I don't have)
• `papers like "FNet: Mixing Tokens with Fourier Transforms"` (a title in my library)
• paste an abstract or a paragraph (up to 5,000 characters) for papers like it
• `more` for the next page of my last answer here
• `recommend`: recent papers this channel is likely to like, learnt from its 👍/👎
Personal alerts, by DM: `alert <topic>` · `alert list` · `alert remove <n>`
Channel digest (admins): `subscribe <topic>` · `unsubscribe` · `settings` · `digest` shows today's."""
