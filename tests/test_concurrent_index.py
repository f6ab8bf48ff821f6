"""Questions never wait for each other or for a rebuild: the index lock is taken only to rebuild
(or ingest), and a question that comes meanwhile answers from the indexes already built.

The lock is held by the test itself (standing in for a long ingest or BM25 rebuild in another
thread); a question that waited for it would never finish, and fails at the time limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from retrieval.models import SearchQuery

QUESTION = "FNet mixing tokens with Fourier transforms"
LIMIT_S = 120  # only reached when a question waits for the lock: a failure, not a timing


def top_title(index) -> str:  # noqa: ANN001
    return index.search(SearchQuery(text=QUESTION, limit=5)).hits[0].paper.title


def test_questions_are_answered_while_another_thread_holds_the_index_lock(demo_index) -> None:
    assert top_title(demo_index).startswith("FNet")  # built
    demo_index._lock.acquire()  # an ingest or a rebuild is running elsewhere
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = [pool.submit(top_title, demo_index) for _ in range(4)]
            assert all(a.result(LIMIT_S).startswith("FNet") for a in answers)
    finally:
        demo_index._lock.release()


def test_a_moved_revision_is_rebuilt_once_and_meanwhile_the_built_indexes_answer(
    demo_index,
) -> None:
    assert top_title(demo_index).startswith("FNet")
    built_for = demo_index._built_for
    demo_index.store.bump_revision()  # another process wrote to the store
    demo_index._lock.acquire()  # ... and this process is already rebuilding
    try:
        with ThreadPoolExecutor(2) as pool:
            answer = pool.submit(top_title, demo_index)
            assert answer.result(LIMIT_S).startswith("FNet")
        assert demo_index._built_for == built_for  # answered from what was built
    finally:
        demo_index._lock.release()
    assert top_title(demo_index).startswith("FNet")
    assert demo_index._built_for == (built_for[0], built_for[1] + 1)  # caught up
