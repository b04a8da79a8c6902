"""Helpers for the S3 endpoint tests: a pipeline whose `serve` exposes its bucket over S3."""
import datetime
import hashlib
import hmac
import json
import os
import re
import urllib.parse
import urllib.request

from harness import PipelineTest

ACCESS_KEY = "AKIAECOMPIPETEST0001"
SECRET_KEY = "ecompipe/test/secret+key/0123456789abcdef"
REGION = "us-east-1"
BUCKET = "raw-transactions"


class S3EndpointTest(PipelineTest):
    """`ecompipe init`, an s3_endpoint section on a free port, then `ecompipe serve`."""

    # More keys of the s3_endpoint section ("  header_timeout: 2s\n"), for a test class.
    endpoint_config = ""

    def setUp(self):
        super().setUp()
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write(
                "\ns3_endpoint:\n"
                "  listen: 127.0.0.1:0\n"
                f"  region: {REGION}\n"
                "  access_keys:\n"
                f"    - {{id: {ACCESS_KEY}, secret: \"{SECRET_KEY}\"}}\n" + self.endpoint_config)
        self.land_reference_dims()
        self.serve = self.start_serve()
        log_path = os.path.join(self.dir, "serve-0.log")

        def port():
            with open(log_path) as f:
                m = re.search(r"S3 endpoint listening\. address=127\.0\.0\.1:(\d+)", f.read())
            if self.serve.poll() is not None:
                with open(log_path) as f:
                    self.fail("ecompipe serve exited:\n" + f.read())
            return m and int(m.group(1))

        self.port = self.wait_for(port, timeout=60, what="the S3 endpoint to listen")
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def serve_log(self):
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            return f.read()

    def client(self, secret=SECRET_KEY, key=ACCESS_KEY, **config):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=key,
                            aws_secret_access_key=secret, region_name=REGION,
                            config=Config(retries={"max_attempts": 1}, **config))

    def object_created(self, key):
        """The Object Created events in the pipeline's event log for `key`."""
        events = [json.loads(r[0]) for r in
                  self.state("SELECT body FROM events WHERE detail_type='Object Created'")]
        return [e for e in events if e["detail"]["object"]["key"] == key]

    def raw_request(self, method, path, query="", headers=None, body=b"", secret=SECRET_KEY,
                    when=None, payload_hash=None, chunks=None):
        """Signs a request by hand (SigV4, AWS's published algorithm) and sends it; returns
        (status, headers, body). `when` overrides the signing time (clock-skew tests).
        `chunks` (a list of bytes) sends an aws-chunked body with STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
        each chunk signed from the seed signature; `tamper` in a chunk's place is not supported."""
        if chunks is not None:
            payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
            headers = {**(headers or {}), "content-encoding": "aws-chunked",
                       "x-amz-decoded-content-length": str(sum(len(c) for c in chunks))}
        payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
        hdrs, signature, k, scope, amz_date = self.sign(method, path, query, headers, payload_hash,
                                                        secret=secret, when=when)
        if chunks is not None:
            previous, framed = signature, b""
            empty = hashlib.sha256(b"").hexdigest()
            for c in list(chunks) + [b""]:
                sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty,
                                  hashlib.sha256(c).hexdigest()])
                previous = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
                framed += b"%x;chunk-signature=%s\r\n" % (len(c), previous.encode()) + c + b"\r\n"
            body = framed
        del hdrs["host"]
        url = self.endpoint + urllib.parse.quote(path, safe="/-_.~") + (f"?{query}" if query else "")
        req = urllib.request.Request(url, data=body if method in ("PUT", "POST") else None,
                                     method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def sign(self, method, path, query, headers, payload_hash, secret=SECRET_KEY, when=None):
        """SigV4 headers (host included) for a request; returns (headers, signature, signing
        key, scope, amz date)."""
        when = when or datetime.datetime.now(datetime.timezone.utc)
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        host = f"127.0.0.1:{self.port}"
        hdrs = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash}
        for k, v in (headers or {}).items():
            hdrs[k.lower()] = v
        names = sorted(hdrs)
        canonical_query = "&".join(
            f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
            for k, v in sorted(urllib.parse.parse_qsl(query, keep_blank_values=True)))
        canonical = "\n".join([method, urllib.parse.quote(path, safe="/-_.~"), canonical_query,
                               "".join(f"{n}:{hdrs[n].strip()}\n" for n in names), ";".join(names),
                               payload_hash])
        scope = f"{date}/{REGION}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + secret).encode()
        for part in (date, REGION, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        hdrs["authorization"] = (f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
                                 f"SignedHeaders={';'.join(names)}, Signature={signature}")
        return hdrs, signature, k, scope, amz_date
