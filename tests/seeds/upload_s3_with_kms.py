import s3seal as boto3

# KMS KEY ID
kms_key_id = "kms-key-id"

# 암호화할 파일의 경로
file_name = "./file.txt"

# S3 버킷 정보
bucket_name = "bucket-name"
object_key = "file.txt"

# Boto3 S3 클라이언트 생성
s3_client = boto3.client("s3")

# 암호화 헤더 생성
encryption_header = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}

# 파일 업로드
with open(file_name, "rb") as file:
    s3_client.upload_fileobj(file, bucket_name, object_key, ExtraArgs=encryption_header)
