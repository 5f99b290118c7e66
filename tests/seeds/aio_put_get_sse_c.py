# The Japanese seed's upload and download scripts (shared/seeds/004_*.txt) in aioboto3's
# form, with only the import changed: `import aioboto3` -> `import s3seal.aio as aioboto3`.
import asyncio
import os
import uuid

import s3seal.aio as aioboto3
from dotenv import load_dotenv

# .envファイルの内容を読み込む
dotenv_path = os.path.join(os.path.dirname(__file__), ".env")
load_dotenv(verbose=True, dotenv_path=dotenv_path)
# 環境変数を取得
BUCKET_NAME = os.environ.get("BUCKET_NAME")
KEY = os.environ.get("KEY")
SSE_CUSTOMER_KEY_BASE64 = os.environ.get("SSE_CUSTOMER_KEY_BASE64")
SSE_CUSTOMER_KEY_MD5 = os.environ.get("SSE_CUSTOMER_KEY_MD5")
PROFILE = os.environ.get("PROFILE")


async def main() -> None:
    # clientの作成
    session = aioboto3.Session(profile_name=PROFILE)
    async with session.client("s3") as client:
        # s3バケットへファイルをアップロードする
        with open(KEY, "rb") as image:
            response = await client.put_object(
                Bucket=BUCKET_NAME,
                Key=KEY,
                Body=image,
                SSECustomerAlgorithm="AES256",
                SSECustomerKey=SSE_CUSTOMER_KEY_BASE64,
                SSECustomerKeyMD5=SSE_CUSTOMER_KEY_MD5,
            )
        print(response)
        # s3バケットからオブジェクトを取得する
        response = await client.get_object(
            Bucket=BUCKET_NAME,
            Key=KEY,
            SSECustomerAlgorithm="AES256",
            SSECustomerKey=SSE_CUSTOMER_KEY_BASE64,
            SSECustomerKeyMD5=SSE_CUSTOMER_KEY_MD5,
        )
        # レスポンスの中身を読み込む
        async with response["Body"] as stream:
            binary = await stream.read()
    # 画像を保存
    img_path = "tmp/" + str(uuid.uuid4()) + ".jpg"
    with open(img_path, "wb") as f:
        f.write(binary)


asyncio.run(main())
