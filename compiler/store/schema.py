"""The run store's SQLite schema, as an append-only list of migrations (never edit a released one).

Tables (documented in docs/store.md; the TUI and `pipe tune` read them):
- runs: one row per `pipe run` or tuning trial: graph, resolved config (secrets redacted), status, timings,
  totals, headline metrics and named outputs (JSON).
- node_runs: one row per node per run: status, cache key, cache hit, timing, items done/total, output size
  and preview, error.
- cache_entries: memoized node results by content key; small results inline as a pickle blob, large ones as
  a content-addressed file under artifacts/.
- metrics: aggregate metrics per run and node (from every output port of type Metrics).
- items: per-example rows of a node result (question, hits, answer, gold, per-item scores), by cache key.
- llm_calls / llm_cache: every LLM call made through the gateway, and its response cache.
- embedding_cache: embeddings per (model, SHA-256 of the text), float32 as the model returned them.
- file_hashes: SHA-256 of input files by absolute path with the stat they had (reused while it is unchanged).
- studies / trials: tuning studies and their immutable trials.
"""

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        graph_name TEXT NOT NULL,
        graph_file TEXT NOT NULL,
        config_json TEXT NOT NULL,
        status TEXT NOT NULL,            -- running | succeeded | failed | interrupted | budget_exceeded
        started_at REAL NOT NULL,
        ended_at REAL,
        duration_s REAL,
        error TEXT,
        nodes_total INTEGER NOT NULL DEFAULT 0,
        nodes_cached INTEGER NOT NULL DEFAULT 0,
        nodes_failed INTEGER NOT NULL DEFAULT 0,
        llm_calls INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        metrics_json TEXT,
        outputs_json TEXT,
        study_id TEXT,
        trial_number INTEGER,
        pid INTEGER
    );
    CREATE INDEX runs_started ON runs(started_at);
    CREATE INDEX runs_study ON runs(study_id);

    CREATE TABLE node_runs (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node TEXT NOT NULL,
        op TEXT NOT NULL,
        op_version TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        status TEXT NOT NULL,            -- pending | running | succeeded | cached | failed | skipped | interrupted
        cache_hit INTEGER NOT NULL DEFAULT 0,
        started_at REAL,
        ended_at REAL,
        duration_s REAL,
        items_done INTEGER,
        items_total INTEGER,
        output_size INTEGER,
        output_preview TEXT,
        params_json TEXT,
        error TEXT,
        PRIMARY KEY (run_id, node)
    );
    CREATE INDEX node_runs_key ON node_runs(cache_key);

    CREATE TABLE cache_entries (
        key TEXT PRIMARY KEY,
        op TEXT NOT NULL,
        node TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_used_at REAL NOT NULL,
        size_bytes INTEGER NOT NULL,
        artifact TEXT,                   -- path under artifacts/ when stored on disk
        blob BLOB,                       -- pickled outputs when small
        preview TEXT
    );

    CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node TEXT NOT NULL,
        port TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (run_id, node, port, name)
    );

    CREATE TABLE items (
        cache_key TEXT NOT NULL,
        idx INTEGER NOT NULL,
        item_id TEXT,
        data_json TEXT NOT NULL,
        PRIMARY KEY (cache_key, idx)
    );

    CREATE TABLE llm_calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT,
        node TEXT,
        item TEXT,
        model TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        messages_json TEXT NOT NULL,
        params_json TEXT,
        response TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cost_usd REAL,                   -- NULL when the model's price is unknown
        latency_s REAL,
        cache_hit INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX llm_calls_run ON llm_calls(run_id, node);

    CREATE TABLE llm_cache (
        request_hash TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        response_json TEXT NOT NULL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cost_usd REAL,
        created_at REAL NOT NULL
    );

    CREATE TABLE embedding_cache (
        model TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, text_hash)
    );

    CREATE TABLE studies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        graph_name TEXT NOT NULL,
        graph_file TEXT NOT NULL,
        strategy TEXT NOT NULL,
        objective_json TEXT NOT NULL,
        space_json TEXT NOT NULL,
        settings_json TEXT,
        status TEXT NOT NULL,            -- running | finished | stopped | failed
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );

    CREATE TABLE trials (
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        state TEXT NOT NULL,             -- running | complete | failed | pruned
        config_json TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        value REAL,
        metrics_json TEXT,
        run_id TEXT,
        budget REAL,                     -- e.g. number of evaluation questions (successive halving)
        cost_usd REAL,
        llm_calls INTEGER,
        cache_hits INTEGER,
        duration_s REAL,
        error TEXT,
        started_at REAL NOT NULL,
        ended_at REAL,
        PRIMARY KEY (study_id, number)
    );
    CREATE INDEX trials_config ON trials(study_id, config_hash);
    """,
    # 2: pipe tune: why each trial was proposed, and the proposals of the llm strategy (accepted, repaired,
    # rejected) with the reason
    """
    ALTER TABLE trials ADD COLUMN note TEXT;
    CREATE TABLE tune_proposals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        trial_number INTEGER,            -- the trial that ran it (accepted or repaired), NULL when rejected
        outcome TEXT NOT NULL,           -- accepted | repaired | rejected
        reason TEXT,
        reply TEXT,                      -- the proposer's raw reply
        config_json TEXT,                -- the config after repair (NULL when rejected)
        created_at REAL NOT NULL
    );
    CREATE INDEX tune_proposals_study ON tune_proposals(study_id);
    """,
    # 3: one key for the embedding cache (the full SHA-256 hex of the text). Rows under the old 32-character key
    # were the embedders' second copy of every litellm embedding (normalised), or minilm vectors recomputed once.
    """
    DELETE FROM embedding_cache WHERE length(text_hash) <> 64;
    """,
    # 4: content hashes of input files, reused while a file's stat is unchanged (filehashes.py)
    """
    CREATE TABLE file_hashes (
        path TEXT PRIMARY KEY,           -- absolute path
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        recorded_ns INTEGER NOT NULL     -- when the hash was taken (racy-clean rule)
    );
    """,
    # 5: no index of node_runs by cache key: no query looks node runs up by key (the store reads them by run, or
    # by run and node through the primary key), and keeping it cost ~40% of inserting a run's node rows (a 10,000-
    # node cached re-run: 110 -> 64 ms median, bench/executor)
    """
    DROP INDEX IF EXISTS node_runs_key;
    """,
]
