# The Korean seed's snippet (shared/seeds/000_*.txt) in aioboto3's form, with only the import
# changed: `import aioboto3` -> `import s3seal.aio as aioboto3`.
import asyncio

import s3seal.aio as aioboto3

# KMS KEY ID
kms_key_id = "kms-key-id"

# 암호화할 파일의 경로
file_name = "./file.txt"

# S3 버킷 정보
bucket_name = "bucket-name"
object_key = "file.txt"

# 암호화 헤더 생성
encryption_header = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}


async def main() -> None:
    # aioboto3 S3 클라이언트 생성
    session = aioboto3.Session()
    async with session.client("s3") as s3_client:
        # 파일 업로드
        with open(file_name, "rb") as file:
            await s3_client.upload_fileobj(file, bucket_name, object_key, ExtraArgs=encryption_header)


asyncio.run(main())
