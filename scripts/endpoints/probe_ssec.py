#!/usr/bin/env python3
"""Probe an S3 endpoint's SSE-C behaviour and print one line per request.

Reads SSEC_ENDPOINT_URL, SSEC_CA_BUNDLE (optional), SSEC_HTTP_ENDPOINT_URL (optional,
a plain-HTTP listener of the same server), AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION from the environment (as printed by
`scripts/endpoints/<name>.sh env`). Uses botocore (shipped with awscli) so
that the exact HTTP status, S3 error Code and SSE-C response headers are
visible. Keys and MD5s are sent verbatim (base64), as the AWS CLI does.

This is a diagnostic for people, not a test: it never fails on a
non-AWS-like answer, it only reports.
"""
import http.client
import os
import ssl
import sys
import urllib.parse
import uuid

import botocore.session
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.config import Config
from botocore.exceptions import ClientError

K1 = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs="
M1 = "DWygnHRtgiJ77HCm+1rvHw=="
K2 = "6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4="
M2 = "arxBvwY2V4SiOne6yppVPQ=="
BODY = b"hello sse-c conformance\n" * 4

SSE_HEADERS = (
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-server-side-encryption",
)


def ssec(key, md5, prefix="SSECustomer"):
    return {prefix + "Algorithm": "AES256", prefix + "Key": key, prefix + "KeyMD5": md5}


def client(endpoint, verify):
    sess = botocore.session.get_session()
    return sess.create_client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        verify=verify,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            # Plain (non aws-chunked) bodies, like most SDKs before 2025.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def show(label, fn, expect_body=None):
    try:
        resp = fn()
        meta = resp["ResponseMetadata"]
        status = meta["HTTPStatusCode"]
        hdrs = meta.get("HTTPHeaders", {})
        extra = ""
        if "Body" in resp:
            data = resp["Body"].read()
            if expect_body is not None:
                extra = " body=" + ("MATCH" if data == expect_body else f"DIFFERENT({len(data)} bytes: {data[:24]!r})")
        sse = " ".join(f"{h.split('-')[-1]}={hdrs[h]!r}" for h in SSE_HEADERS if h in hdrs)
        print(f"{label:<46} -> {status} OK {sse}{extra}")
        return resp
    except ClientError as e:
        r = e.response
        status = r.get("ResponseMetadata", {}).get("HTTPStatusCode")
        err = r.get("Error", {})
        print(f"{label:<46} -> {status} {err.get('Code')}: {err.get('Message', '')!s}")
    except Exception as e:  # transport errors, TLS errors, ...
        print(f"{label:<46} -> EXC {type(e).__name__}: {e}")
    sys.stdout.flush()
    return None


def raw(endpoint, verify, bucket, key):
    """GET/HEAD with K1, K2 and no key over HTTP/1.1, printing every amz /
    content header line exactly as received (duplicates included) and the body."""
    u = urllib.parse.urlsplit(endpoint)
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    path = f"/{bucket}/{key}"
    for method in ("GET", "HEAD"):
        for label, k, m in (("K1", K1, M1), ("K2 (wrong key)", K2, M2), ("no key", None, None)):
            hdrs = {}
            if k:
                hdrs = {
                    "x-amz-server-side-encryption-customer-algorithm": "AES256",
                    "x-amz-server-side-encryption-customer-key": k,
                    "x-amz-server-side-encryption-customer-key-md5": m,
                }
            req = AWSRequest(method=method, url=endpoint + path, headers=hdrs)
            S3SigV4Auth(creds, "s3", os.environ.get("AWS_REGION", "us-east-1")).add_auth(req)
            if u.scheme == "https":
                ctx = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
                conn = http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx, timeout=30)
            else:
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
            try:
                conn.request(method, path, headers=dict(req.headers.items()))
                resp = conn.getresponse()
                body = resp.read()
            except Exception as e:
                print(f"## raw {method} {label}: EXC {type(e).__name__}: {e}")
                continue
            finally:
                conn.close()
            print(f"## raw {method} {label}: HTTP {resp.status} {resp.reason}")
            for name, value in resp.getheaders():
                ln = name.lower()
                if ln.startswith("x-amz-") and ln not in ("x-amz-request-id", "x-amz-id-2") or ln.startswith("content-") or ln == "etag":
                    print(f"     {name}: {value}")
            if body and method == "GET" and resp.status >= 300:
                print("     " + body.decode("utf-8", "replace").strip().replace("\n", " ")[:500])


def main():
    endpoint = os.environ["SSEC_ENDPOINT_URL"]
    verify = os.environ.get("SSEC_CA_BUNDLE") or True
    c = client(endpoint, verify)
    bucket = os.environ.get("SSEC_PROBE_BUCKET") or f"ssec-probe-{uuid.uuid4().hex[:10]}"
    key = "obj"
    print(f"# endpoint {endpoint} bucket {bucket}")

    show("CreateBucket", lambda: c.create_bucket(Bucket=bucket))
    show("PutObject K1", lambda: c.put_object(Bucket=bucket, Key=key, Body=BODY, **ssec(K1, M1)))
    show("GetObject K1", lambda: c.get_object(Bucket=bucket, Key=key, **ssec(K1, M1)), BODY)
    show("GetObject K1 Range=bytes=5-14", lambda: c.get_object(Bucket=bucket, Key=key, Range="bytes=5-14", **ssec(K1, M1)), BODY[5:15])
    show("GetObject K2 (wrong key)", lambda: c.get_object(Bucket=bucket, Key=key, **ssec(K2, M2)), BODY)
    show("GetObject no SSE-C headers", lambda: c.get_object(Bucket=bucket, Key=key), BODY)
    show("GetObject K1 + MD5 of K2 (MD5 mismatch)", lambda: c.get_object(Bucket=bucket, Key=key, **ssec(K1, M2)), BODY)
    show("HeadObject K1", lambda: c.head_object(Bucket=bucket, Key=key, **ssec(K1, M1)))
    show("HeadObject K2 (wrong key)", lambda: c.head_object(Bucket=bucket, Key=key, **ssec(K2, M2)))
    show("HeadObject no SSE-C headers", lambda: c.head_object(Bucket=bucket, Key=key))
    show("PutObject K1 + MD5 of K2 (MD5 mismatch)", lambda: c.put_object(Bucket=bucket, Key="bad-md5", Body=BODY, **ssec(K1, M2)))
    show("PutObject algorithm AES128", lambda: c.put_object(Bucket=bucket, Key="bad-alg", Body=BODY, SSECustomerAlgorithm="AES128", SSECustomerKey=K1, SSECustomerKeyMD5=M1))
    show("PutObject 16-byte key", lambda: c.put_object(Bucket=bucket, Key="short", Body=BODY, **ssec("AAAAAAAAAAAAAAAAAAAAAA==", "GrNRmFdAUM9YnBMHcjmPRQ==")))
    show("PutObject key without algorithm", lambda: c.put_object(Bucket=bucket, Key="noalg", Body=BODY, SSECustomerKey=K1, SSECustomerKeyMD5=M1))
    show("PutObject plain (no SSE)", lambda: c.put_object(Bucket=bucket, Key="plain", Body=BODY))
    show("GetObject plain object with K1", lambda: c.get_object(Bucket=bucket, Key="plain", **ssec(K1, M1)), BODY)
    show("CopyObject src K1 -> dst K2", lambda: c.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": key}, **ssec(K1, M1, "CopySourceSSECustomer"), **ssec(K2, M2)))
    show("GetObject copy K2", lambda: c.get_object(Bucket=bucket, Key="copy", **ssec(K2, M2)), BODY)
    show("CopyObject src without source key", lambda: c.copy_object(Bucket=bucket, Key="copy2", CopySource={"Bucket": bucket, "Key": key}))
    show("CopyObject src wrong source key (K2)", lambda: c.copy_object(Bucket=bucket, Key="copy3", CopySource={"Bucket": bucket, "Key": key}, **ssec(K2, M2, "CopySourceSSECustomer")))

    raw(endpoint, verify, bucket, key)

    http = os.environ.get("SSEC_HTTP_ENDPOINT_URL")
    if http:
        h = client(http, False)
        show("PutObject K1 over plain HTTP", lambda: h.put_object(Bucket=bucket, Key="over-http", Body=BODY, **ssec(K1, M1)))
        show("GetObject K1 over plain HTTP", lambda: h.get_object(Bucket=bucket, Key=key, **ssec(K1, M1)), BODY)
    elif endpoint.startswith("http://"):
        print("# endpoint is plain HTTP: every SSE-C request above was sent over plain HTTP")


if __name__ == "__main__":
    main()
