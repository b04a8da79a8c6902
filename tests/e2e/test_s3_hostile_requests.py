"""Smaller holes the probe found in the S3 endpoint (issue 14, point 7): a 300-byte key segment
gave a 500 whose message held the server's absolute path; a key with %0A gave an empty 404 and
no log line; 800 KB of x-amz-meta-* was accepted (S3 caps user metadata at 2 KB); abandoned
multipart uploads were never cleaned."""
import os

from s3_endpoint_util import BUCKET, S3EndpointTest


class S3HostileRequestsTest(S3EndpointTest):
    def assert_s3_error(self, status, body, code, http=400):
        self.assertEqual(status, http, body)
        self.assertIn(b"<?xml", body)
        self.assertIn(f"<Code>{code}</Code>".encode(), body)
        self.assertNotIn(self.dir.encode(), body)  # no server path in any answer

    def test_a_300_byte_key_segment_is_a_400_without_server_paths(self):
        key = "transactions/" + "a" * 300 + ".csv"
        for method in ("PUT", "GET", "DELETE"):
            status, _, body = self.raw_request(method, f"/{BUCKET}/{key}", body=b"x")
            self.assert_s3_error(status, body, "KeyTooLongError")
            self.assertIn(b"255 bytes", body)
        self.assertNotIn(self.dir + "/bucket", self.serve_log().replace(self.dir + "/bucket ", ""))

    def test_control_characters_in_a_key_are_a_400_with_a_body_and_a_log_line(self):
        for key in ("transactions/a\nb.csv", "transactions/a\rb.csv", "transactions/a\x01b.csv"):
            for method in ("GET", "PUT"):
                status, _, body = self.raw_request(method, f"/{BUCKET}/{key}", body=b"x")
                self.assert_s3_error(status, body, "InvalidArgument")
                self.assertIn(b"control character", body)
        self.wait_for(lambda: "S3 request refused." in self.serve_log(), what="a log line")
        # The key is shown escaped: a hostile key cannot forge log lines.
        self.assertIn("a\\x0ab.csv", self.serve_log())

    def test_user_metadata_is_capped_at_2_kb_like_s3(self):
        key = "notes/meta.txt"
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/{key}", body=b"x",
                                           headers={"x-amz-meta-big": "v" * 2100})
        self.assert_s3_error(status, body, "MetadataTooLarge")
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/{key}", body=b"x",
                                           headers={"x-amz-meta-a": "v" * 1000,
                                                    "x-amz-meta-b": "w" * 1000})
        self.assertEqual(status, 200, body)
        status, headers, _ = self.raw_request("HEAD", f"/{BUCKET}/{key}")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("x-amz-meta-a"), "v" * 1000)
        # Multipart uploads are held to the same cap when they start.
        status, _, body = self.raw_request("POST", f"/{BUCKET}/{key}", query="uploads=",
                                           headers={"x-amz-meta-big": "v" * 2100})
        self.assert_s3_error(status, body, "MetadataTooLarge")


class MultipartExpiryTest(S3EndpointTest):
    endpoint_config = "  multipart_expiry: 2s\n"

    def test_an_abandoned_multipart_upload_expires_with_its_parts(self):
        s3 = self.client()
        upload = s3.create_multipart_upload(Bucket=BUCKET, Key="big/abandoned.bin")["UploadId"]
        s3.upload_part(Bucket=BUCKET, Key="big/abandoned.bin", UploadId=upload, PartNumber=1,
                       Body=b"x" * 1024)
        uploads = os.path.join(self.bucket, ".ecompipe-tmp", "s3-uploads")
        self.assertEqual(os.listdir(uploads), [upload])
        self.wait_for(lambda: "Expired an abandoned multipart upload." in self.serve_log(),
                      timeout=30, what="the upload to expire")
        self.assertEqual(os.listdir(uploads), [])
        self.assertIn(f"upload_id={upload} key=big/abandoned.bin", self.serve_log())
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/big/abandoned.bin",
                                           query=f"partNumber=2&uploadId={upload}", body=b"y")
        self.assertEqual(status, 404, body)
        self.assertIn(b"<Code>NoSuchUpload</Code>", body)
