-- The postgresql knowledge-base store (rag.knowledge-base.store=postgresql), shared by every replica.
-- Applied by Flyway when a replica first loads; never edit a migration that has shipped, add the next one.

-- Image bytes, once per content (the SHA-256 of the bytes, hex).
CREATE TABLE kb_image (
    content_hash text PRIMARY KEY CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    media_type   text NOT NULL,
    bytes        bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The entries, in catalogue order (position: the change that added the entry).
CREATE TABLE kb_entry (
    id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    image_path   text NOT NULL,
    description  text NOT NULL,
    content_hash text NOT NULL UNIQUE REFERENCES kb_image (content_hash),
    media_type   text NOT NULL,
    position     bigint NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Embeddings, once per image and model (the vision tower's content hash and the image pipeline's version):
-- little-endian float32, or why the image could not be embedded, so that no replica tries it again.
CREATE TABLE kb_embedding (
    model        text NOT NULL,
    content_hash text NOT NULL REFERENCES kb_image (content_hash) ON DELETE CASCADE,
    vector       bytea,
    failure      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, content_hash),
    CHECK ((vector IS NULL) <> (failure IS NULL))
);
CREATE INDEX kb_embedding_content ON kb_embedding (content_hash);

-- The change sequence: one row per committed change of an entry (added, described anew, removed). Numbers are
-- taken under a transaction-scoped advisory lock just before commit, so they become visible in order and a
-- replica that has applied every change up to n has missed none below it.
CREATE SEQUENCE kb_change_seq;
CREATE TABLE kb_change (
    seq        bigint PRIMARY KEY,
    entry_id   text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
