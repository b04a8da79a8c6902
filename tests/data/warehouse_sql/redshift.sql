-- schema
CREATE TABLE IF NOT EXISTS dim_products (
  product_id VARCHAR(50) NOT NULL,
  product_name VARCHAR(50),
  category VARCHAR(50),
  price DECIMAL(10,2),
  supplier_id VARCHAR(50),
  updated_at TIMESTAMP,
  PRIMARY KEY (product_id)
) DISTSTYLE ALL SORTKEY (product_id);

-- schema
CREATE TABLE IF NOT EXISTS dim_customers (
  customer_id VARCHAR(50) NOT NULL,
  first_name VARCHAR(50),
  last_name VARCHAR(50),
  email VARCHAR(255),
  membership_level VARCHAR(10),
  updated_at TIMESTAMP,
  PRIMARY KEY (customer_id)
) DISTSTYLE ALL SORTKEY (customer_id);

-- schema
CREATE TABLE IF NOT EXISTS fact_transactions (
  transaction_id VARCHAR(50) NOT NULL,
  customer_id VARCHAR(50) NOT NULL,
  customer_email VARCHAR(255),
  product_id VARCHAR(50) NOT NULL,
  product_name VARCHAR(50),
  quantity INT NOT NULL,
  supplier_id VARCHAR(50),
  price DECIMAL(10,2) NOT NULL,
  transaction_date DATE NOT NULL,
  transaction_type VARCHAR(20),
  payment_type VARCHAR(50),
  status VARCHAR(50),
  total_amount DECIMAL(12,2) NOT NULL,
  source_object VARCHAR(1024) NOT NULL,
  source_line BIGINT,
  source_etag VARCHAR(128) NOT NULL,
  load_id VARCHAR(64) NOT NULL,
  PRIMARY KEY (transaction_id)
) DISTKEY (payment_type) SORTKEY (transaction_id);

-- schema
CREATE TABLE IF NOT EXISTS rejects (
  id BIGINT IDENTITY(1,1),
  source_object VARCHAR(1024),
  source_etag VARCHAR(128),
  load_id VARCHAR(64),
  line BIGINT,
  reason VARCHAR(64) NOT NULL,
  detail VARCHAR(4096),
  transaction_id VARCHAR(256),
  raw VARCHAR(65535),
  rejected_at TIMESTAMP DEFAULT GETDATE(),
  PRIMARY KEY (id)
) DISTSTYLE EVEN SORTKEY (id);

-- schema
CREATE TABLE IF NOT EXISTS load_ledger (
  bucket VARCHAR(255) NOT NULL,
  key VARCHAR(1024) NOT NULL,
  etag VARCHAR(128) NOT NULL,
  status VARCHAR(16) NOT NULL,
  load_id VARCHAR(64),
  run_id VARCHAR(64),
  rows_read BIGINT,
  rows_loaded BIGINT,
  rows_rejected BIGINT,
  message VARCHAR(4096),
  finished_at TIMESTAMP,
  job_hash VARCHAR(64),
  PRIMARY KEY (bucket, key, etag)
) DISTSTYLE ALL SORTKEY (key);

-- schema
CREATE TABLE IF NOT EXISTS ecompipe_schema_version (version INT NOT NULL);

-- schema
CREATE TABLE IF NOT EXISTS warehouse_totals (
  id INT NOT NULL,
  fact_rows BIGINT NOT NULL,
  reject_rows BIGINT NOT NULL,
  total_amount_cents BIGINT NOT NULL,
  PRIMARY KEY (id)
) DISTSTYLE ALL;

-- create fact staging
CREATE TEMP TABLE IF NOT EXISTS ep_fact_stage (LIKE fact_transactions);

-- clear fact staging
DELETE FROM ep_fact_stage;

-- stage facts (2 rows)
INSERT INTO ep_fact_stage (transaction_id, customer_id, customer_email, product_id, product_name, quantity, supplier_id, price, transaction_date, transaction_type, payment_type, status, total_amount, source_object, source_line, source_etag, load_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17), ($18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34);

-- insert rejects (1 row)
INSERT INTO rejects (source_object, source_etag, load_id, line, reason, detail, transaction_id, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- stage products (1 row)
INSERT INTO ep_stage_products (seq, product_id, product_name, category, price, supplier_id) VALUES ($1, $2, $3, $4, $5, $6);

-- copy staged facts from s3 (iam role)
COPY ep_fact_stage (transaction_id, customer_id, customer_email, product_id, product_name, quantity, supplier_id, price, transaction_date, transaction_type, payment_type, status, total_amount, source_object, source_line, source_etag, load_id) FROM 's3://warehouse-staging/ecompipe/load-1/facts.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/ecompipe-load' MANIFEST FORMAT AS CSV QUOTE AS '"' GZIP DATEFORMAT 'YYYY-MM-DD' REGION 'eu-west-1' COMPUPDATE OFF STATUPDATE OFF;

-- copy staged rejects from s3
COPY rejects (source_object, source_etag, load_id, line, reason, detail, transaction_id, raw) FROM 's3://warehouse-staging/ecompipe/load-1/rejects.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/ecompipe-load' MANIFEST FORMAT AS CSV QUOTE AS '"' GZIP DATEFORMAT 'YYYY-MM-DD' REGION 'eu-west-1' COMPUPDATE OFF STATUPDATE OFF;

-- copy staged facts from s3 (access key)
COPY ep_fact_stage (transaction_id, customer_id, customer_email, product_id, product_name, quantity, supplier_id, price, transaction_date, transaction_type, payment_type, status, total_amount, source_object, source_line, source_etag, load_id) FROM 's3://warehouse-staging/ecompipe/load-1/facts.manifest' ACCESS_KEY_ID 'AKIAEXAMPLE' SECRET_ACCESS_KEY 'secret''with-quote' SESSION_TOKEN 'token' MANIFEST FORMAT AS CSV QUOTE AS '"' GZIP DATEFORMAT 'YYYY-MM-DD' REGION 'us-east-1' COMPUPDATE OFF STATUPDATE OFF;

-- facts from staging
INSERT INTO fact_transactions (transaction_id, customer_id, customer_email, product_id, product_name, quantity, supplier_id, price, transaction_date, transaction_type, payment_type, status, total_amount, source_object, source_line, source_etag, load_id) SELECT s.transaction_id, s.customer_id, s.customer_email, s.product_id, s.product_name, s.quantity, s.supplier_id, s.price, s.transaction_date, s.transaction_type, s.payment_type, s.status, s.total_amount, s.source_object, s.source_line, s.source_etag, s.load_id FROM ep_fact_stage s WHERE NOT EXISTS (SELECT 1 FROM fact_transactions f WHERE f.transaction_id = s.transaction_id);

-- duplicate rejects from staging
INSERT INTO rejects (source_object, source_etag, load_id, line, reason, detail, transaction_id, raw) SELECT s.source_object, s.source_etag, s.load_id, s.source_line, 'duplicate_transaction_id', 'transaction_id ' || s.transaction_id || ' already loaded from ' || COALESCE(f.source_object, 'an earlier load'), s.transaction_id, s.transaction_id || ',' || s.customer_id || ',' || s.product_id || ',' || CAST(s.quantity AS VARCHAR) || ',' || CAST(s.price AS VARCHAR) || ',' || CAST(s.transaction_date AS VARCHAR) || ',' || CASE WHEN s.payment_type LIKE '%,%' OR s.payment_type LIKE '%"%' THEN '"' || REPLACE(s.payment_type, '"', '""') || '"' ELSE s.payment_type END || ',' || CASE WHEN s.status LIKE '%,%' OR s.status LIKE '%"%' THEN '"' || REPLACE(s.status, '"', '""') || '"' ELSE s.status END FROM ep_fact_stage s LEFT JOIN fact_transactions f ON f.transaction_id = s.transaction_id WHERE f.transaction_id IS NULL OR f.load_id <> s.load_id OR f.source_line <> s.source_line;

-- create product staging
CREATE TEMP TABLE IF NOT EXISTS ep_stage_products (seq BIGINT, product_id VARCHAR(50), product_name VARCHAR(50), category VARCHAR(50), price DECIMAL(10,2), supplier_id VARCHAR(50));

-- create customer staging
CREATE TEMP TABLE IF NOT EXISTS ep_stage_customers (seq BIGINT, customer_id VARCHAR(50), first_name VARCHAR(50), last_name VARCHAR(50), email VARCHAR(255), membership_level VARCHAR(10));

-- upsert products
MERGE INTO dim_products USING (SELECT latest.product_id, latest.product_name, latest.category, latest.price, latest.supplier_id FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY seq DESC) AS ep_rank FROM ep_stage_products s) latest LEFT JOIN dim_products t ON t.product_id = latest.product_id WHERE latest.ep_rank = 1 AND (t.product_id IS NULL OR t.product_name <> latest.product_name OR t.category <> latest.category OR t.price <> latest.price OR t.supplier_id <> latest.supplier_id)) u ON dim_products.product_id = u.product_id WHEN MATCHED THEN UPDATE SET product_name = u.product_name, category = u.category, price = u.price, supplier_id = u.supplier_id, updated_at = CURRENT_TIMESTAMP WHEN NOT MATCHED THEN INSERT (product_id, product_name, category, price, supplier_id, updated_at) VALUES (u.product_id, u.product_name, u.category, u.price, u.supplier_id, CURRENT_TIMESTAMP);

-- upsert customers
MERGE INTO dim_customers USING (SELECT latest.customer_id, latest.first_name, latest.last_name, latest.email, latest.membership_level FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY seq DESC) AS ep_rank FROM ep_stage_customers s) latest LEFT JOIN dim_customers t ON t.customer_id = latest.customer_id WHERE latest.ep_rank = 1 AND (t.customer_id IS NULL OR t.first_name <> latest.first_name OR t.last_name <> latest.last_name OR t.email <> latest.email OR t.membership_level <> latest.membership_level)) u ON dim_customers.customer_id = u.customer_id WHEN MATCHED THEN UPDATE SET first_name = u.first_name, last_name = u.last_name, email = u.email, membership_level = u.membership_level, updated_at = CURRENT_TIMESTAMP WHEN NOT MATCHED THEN INSERT (customer_id, first_name, last_name, email, membership_level, updated_at) VALUES (u.customer_id, u.first_name, u.last_name, u.email, u.membership_level, CURRENT_TIMESTAMP);

-- lock object
LOCK load_ledger;

-- ledger status
SELECT status FROM load_ledger WHERE bucket = $1 AND key = $2 AND etag = $3;

-- delete ledger row
DELETE FROM load_ledger WHERE bucket = $1 AND key = $2 AND etag = $3;

-- insert ledger row
INSERT INTO load_ledger (bucket, key, etag, status, load_id, run_id, rows_read, rows_loaded, rows_rejected, message, finished_at, job_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CURRENT_TIMESTAMP, $11);

-- mark replaced
UPDATE load_ledger SET status = 'replaced', message = 'replaced by etag ' || $3 || ' (load ' || $4 || ')' WHERE bucket = $1 AND key = $2 AND etag <> $3 AND status = 'loaded';

-- add replay to ledger
UPDATE load_ledger SET rows_loaded = rows_loaded + $4, rows_rejected = rows_rejected + $5 WHERE bucket = $1 AND key = $2 AND etag = $3 AND status = 'loaded';

-- mark deleted
UPDATE load_ledger SET status = 'deleted', run_id = $3, message = $4, finished_at = CURRENT_TIMESTAMP WHERE bucket = $1 AND key = $2 AND status <> 'deleted';

-- has job hash
SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'load_ledger' AND column_name = 'job_hash';

-- delete other version facts
DELETE FROM fact_transactions WHERE source_object = $1 AND source_etag <> $2;

-- delete other version rejects
DELETE FROM rejects WHERE source_object = $1 AND (source_etag IS NULL OR source_etag <> $2);

-- count load rejects
SELECT count(*) FROM rejects WHERE load_id = $1;

-- sum other version facts
SELECT count(*), CAST(COALESCE(SUM(total_amount), 0) * 100 AS BIGINT) FROM fact_transactions WHERE source_object = $1 AND source_etag <> $2;

-- sum facts moved from staging
SELECT count(*), CAST(COALESCE(SUM(f.total_amount), 0) * 100 AS BIGINT) FROM ep_fact_stage s JOIN fact_transactions f ON f.transaction_id = s.transaction_id AND f.load_id = s.load_id AND COALESCE(f.source_line, -1) = COALESCE(s.source_line, -1);

-- add to totals
UPDATE warehouse_totals SET fact_rows = fact_rows + $1, reject_rows = reject_rows + $2, total_amount_cents = total_amount_cents + $3 WHERE id = 1;

-- lock for counting totals
LOCK load_ledger;

-- fill totals
INSERT INTO warehouse_totals (id, fact_rows, reject_rows, total_amount_cents) SELECT 1, (SELECT count(*) FROM fact_transactions), (SELECT count(*) FROM rejects), (SELECT CAST(COALESCE(SUM(total_amount), 0) * 100 AS BIGINT) FROM fact_transactions);

