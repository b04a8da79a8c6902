"""SNS Publish, signed with SigV4, to moto_server with IAM authentication on (so the signature
is verified, not just parsed). An SQS queue subscribed to the topic in moto receives the
message; a wrong secret key is refused (403) and kept as a dead letter; an outage of the
endpoint loses nothing."""
import json
import os
import unittest

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key
from notify_servers import MotoSns, find_python_with, requires, set_topics

try:
    import boto3
except ImportError:  # the pyenv Python of this machine image has it; Debian's may not
    boto3 = None

requires_moto = requires(
    boto3 is not None and find_python_with("moto", "EP_MOTO_PYTHON"),
    "needs boto3 in the test Python and moto (moto_server) in some Python (EP_MOTO_PYTHON)")

REGION = "eu-west-1"
SETUP_REQUESTS = 7  # unauthenticated requests moto allows; set_up_aws() makes exactly these


@requires_moto
class SnsPublishTest(PipelineTest):
    def setUp(self):
        super().setUp()
        self.moto = MotoSns()
        self.addCleanup(self.moto.stop)
        self.moto.start(free_requests=SETUP_REQUESTS)
        self.set_up_aws()

    def client(self, service, key_id="AKIDSETUP", secret="setup"):
        return boto3.client(service, region_name=REGION, endpoint_url=self.moto.endpoint,
                            aws_access_key_id=key_id, aws_secret_access_key=secret)

    def set_up_aws(self):
        iam = self.client("iam")
        iam.create_user(UserName="ecompipe")                                       # 1
        iam.put_user_policy(UserName="ecompipe", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))  # 2
        key = iam.create_access_key(UserName="ecompipe")["AccessKey"]               # 3
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        sns, sqs = self.client("sns"), self.client("sqs")
        self.topic_arn = sns.create_topic(Name="pipeline-status")["TopicArn"]      # 4
        self.queue_url = sqs.create_queue(QueueName="status-inbox")["QueueUrl"]    # 5
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]                                              # 6
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)  # 7

    def configure(self, endpoint):
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - {{type: log, path: notifications.jsonl}}
      - name: aws
        type: sns
        topic_arn: "{self.topic_arn}"
        endpoint: "{endpoint}"
      - name: aws-bad-key
        type: sns
        topic_arn: "{self.topic_arn}"
        endpoint: "{endpoint}"
        access_key_id: "{self.key_id}"
        secret_access_key: "not-the-secret"
""")

    key_id = secret = ""

    def run_cli(self, *args, **kw):
        # ecompipe takes the credentials of subscription "aws" from the standard variables.
        if self.key_id:
            os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = self.key_id, self.secret
        return super().run_cli(*args, **kw)

    def received(self):
        sqs = self.client("sqs", self.key_id, self.secret)  # signed by botocore, verified by moto
        out = []
        while True:
            r = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            msgs = r.get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def notes(self, sub):
        return [n for n in self.cli_json("notifications", "-n", "100") if n["subscription"] == sub]

    def land_day(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))

    def test_publish_is_accepted_with_sigv4_and_reaches_the_subscribed_queue(self):
        self.configure(self.moto.endpoint)
        self.land_day()
        self.process()
        good, bad = self.notes("aws"), self.notes("aws-bad-key")
        self.assertEqual(good[0]["status"], "delivered", good)
        self.assertEqual(bad[0]["status"], "dead", bad)
        self.assertIn("HTTP 403", bad[0]["last_error"])
        received = self.received()
        self.assertEqual(len(received), 1, received)
        envelope = received[0]
        self.assertEqual(envelope["TopicArn"], self.topic_arn)
        event = json.loads(envelope["Message"])
        # The subject's date is the day of the state change (the event's time), not the data's.
        self.assertEqual(envelope["Subject"],
                         f"[ecompipe] ecommerce_data_processing SUCCEEDED {event['time'][:10]}: 4 loaded, 0 rejected")
        self.assertEqual(event["detail-type"], "Glue Job State Change")
        self.assertEqual(event["detail"]["rowsLoaded"], 4)

    def test_endpoint_down_then_up_delivers_once(self):
        port = self.moto.port
        self.moto.stop()
        self.configure(self.moto.endpoint)
        self.land_day()
        self.process()
        self.assertEqual(self.notes("aws")[0]["status"], "pending")
        self.moto.start(free_requests=SETUP_REQUESTS)  # a fresh moto: set the account up again
        self.assertEqual(self.moto.port, port)
        self.set_up_aws()
        self.configure(self.moto.endpoint)  # same endpoint; the new topic ARN is the same too

        def delivered():
            self.process()
            return self.notes("aws")[0]["status"] == "delivered"
        self.wait_for(delivered, timeout=60, what="delivery after the outage")
        self.process()
        self.assertEqual(len(self.received()), 1)


if __name__ == "__main__":
    unittest.main()
