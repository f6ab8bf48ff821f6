"""Channel taste on the bot side: votes per channel from the state database, the fitted model
per channel (cached), digest re-ranking and ``recommend``. The math is in
:mod:`retrieval.taste`."""
