"""Media in S3-compatible object storage (AWS S3, MinIO, Ceph, moto).

An upload is an S3 multipart upload. S3 parts must be at least 5 MiB (except the last), but
a tus PATCH may carry any number of bytes, so whole parts of `part_size` are uploaded as
they fill and the remainder is kept as a small "tail" object that the next PATCH picks up.
The state (stored in the database between requests) lists the parts and the tail.

boto3 is synchronous; every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from netalarm.media.storage import BLOCK, Appended, State, Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART_SIZE = 8 * 1024 * 1024
# ffmpeg reads originals through a presigned URL; one hour covers any probe or poster.
URL_TTL_S = 3600


class S3Storage(Storage):
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        part_size: int = PART_SIZE,
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.part_size = part_size
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or "us-east-1",
            config=Config(
                signature_version="s3v4", s3={"addressing_style": "path"}, retries={"mode": "standard"}
            ),
        )

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket}/{self.prefix})"

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def _call(self, name: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.client, name), Bucket=self.bucket, **kwargs)

    async def open(self) -> None:
        try:
            await self._call("head_bucket")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            await self._call("create_bucket")

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)

    async def begin(self, upload_id: str, key: str) -> State:
        answer = await self._call("create_multipart_upload", Key=self._key(key))
        return {"key": key, "mpu": answer["UploadId"], "parts": [], "tail": None, "tail_size": 0}

    async def _tail(self, state: State) -> bytearray:
        buffer = bytearray()
        if state["tail"]:
            async for block in self.read(state["tail"]):
                buffer += block
        return buffer

    async def append(
        self, upload_id: str, state: State, offset: int, chunks: AsyncIterator[bytes]
    ) -> Appended:
        buffer = await self._tail(state)
        parts: list[list[Any]] = [list(p) for p in state["parts"]]
        received = 0
        async for chunk in chunks:
            buffer += chunk
            received += len(chunk)
            while len(buffer) >= self.part_size:
                body = bytes(buffer[: self.part_size])
                del buffer[: self.part_size]
                number = len(parts) + 1
                answer = await self._call(
                    "upload_part",
                    Key=self._key(state["key"]),
                    UploadId=state["mpu"],
                    PartNumber=number,
                    Body=body,
                )
                parts.append([number, answer["ETag"], len(body)])
        end = offset + received
        tail = None
        if buffer:
            # Named by its end offset, so it never overwrites the tail `state` refers to.
            tail = f"uploads/{upload_id}/tail-{end}"
            await self.put(tail, bytes(buffer))
        after = {**state, "parts": parts, "tail": tail, "tail_size": len(buffer)}
        return Appended(after, end)

    async def rollback(self, upload_id: str, before: State, after: State, offset: int) -> None:
        if after["tail"] and after["tail"] != before["tail"]:
            await self.delete(after["tail"])

    async def settle(self, before: State, after: State) -> None:
        if before["tail"] and before["tail"] != after["tail"]:
            await self.delete(before["tail"])

    async def finish(self, upload_id: str, state: State) -> None:
        key = self._key(state["key"])
        parts = [{"PartNumber": n, "ETag": etag} for n, etag, _size in state["parts"]]
        if state["tail"]:
            body = bytes(await self._tail(state))
            number = len(parts) + 1
            answer = await self._call(
                "upload_part", Key=key, UploadId=state["mpu"], PartNumber=number, Body=body
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        if parts:
            await self._call(
                "complete_multipart_upload", Key=key, UploadId=state["mpu"], MultipartUpload={"Parts": parts}
            )
        else:
            await self._call("abort_multipart_upload", Key=key, UploadId=state["mpu"])
            await self.put(state["key"], b"")
        if state["tail"]:
            await self.delete(state["tail"])

    async def abort(self, upload_id: str, state: State) -> None:
        try:
            await self._call("abort_multipart_upload", Key=self._key(state["key"]), UploadId=state["mpu"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
        if state["tail"]:
            await self.delete(state["tail"])

    async def sweep_staging(self, prefix: str, before: datetime) -> int:
        removed = 0
        for found in await self._objects(f"uploads/{prefix}"):
            if found["LastModified"] < before:
                await self._call("delete_object", Key=found["Key"])
                removed += 1
        return removed

    async def _objects(self, under: str) -> list[Any]:
        """Every object whose key (after the prefix) starts with `under`, page after page."""
        listed = await self._call("list_objects_v2", Prefix=self._key(under))
        found: list[Any] = listed.get("Contents", [])
        while listed.get("IsTruncated"):
            listed = await self._call(
                "list_objects_v2", Prefix=self._key(under), ContinuationToken=listed["NextContinuationToken"]
            )
            found += listed.get("Contents", [])
        return found

    async def put(self, key: str, data: bytes) -> None:
        await self._call("put_object", Key=self._key(key), Body=data)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        if end is not None and end <= start:
            return
        wanted = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            answer = await self._call("get_object", Key=self._key(key), Range=wanted)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return  # an empty object, or a start past its end: no bytes
            raise
        body = answer["Body"]
        try:
            while block := await asyncio.to_thread(body.read, BLOCK):
                yield block
        finally:
            await asyncio.to_thread(body.close)

    async def size(self, key: str) -> int | None:
        try:
            answer = await self._call("head_object", Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(answer["ContentLength"])

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=self._key(key))

    async def keys(self) -> list[str]:
        found = [o["Key"][len(self.prefix) :] for o in await self._objects("")]
        uploads = await self._call("list_multipart_uploads", Prefix=self.prefix)
        found += [f"multipart:{u['Key'][len(self.prefix) :]}" for u in uploads.get("Uploads", [])]
        return sorted(found)

    @asynccontextmanager
    async def tool_input(self, key: str) -> AsyncIterator[str]:
        url = await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=URL_TTL_S,
        )
        yield url

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        with tempfile.TemporaryDirectory(prefix="netalarm-media-") as folder:
            path = Path(folder) / "original"
            with path.open("wb") as file:
                async for block in self.read(key):
                    await asyncio.to_thread(file.write, block)
            yield path
