"""The original project's stack, for `bench/run serve`: FastAPI + uvicorn + sigstore-python 4.5.1 verifying the same
`POST /v1/verify/bundle` body in process (offline, production root). Run: uvicorn app:app --workers 2."""
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sigstore.hashes import Hashed
from sigstore.models import Bundle
from sigstore.verify import Verifier, policy
from sigstore.errors import VerificationError
from sigstore_models.common.v1 import HashAlgorithm
import json

app = FastAPI()
verifier = Verifier.production(offline=True)


class VerifyBundleRequest(BaseModel):
    bundle: dict
    artifactDigest: str
    certificateIdentity: str
    certificateOidcIssuer: str


@app.post("/v1/verify/bundle")
def verify_bundle(request: VerifyBundleRequest):
    algorithm, _, hex_digest = request.artifactDigest.partition(":")
    if algorithm != "sha256" or len(hex_digest) != 64:
        raise HTTPException(status_code=400, detail="artifactDigest must be sha256:<64 hex>")
    try:
        bundle = Bundle.from_json(json.dumps(request.bundle))
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(hex_digest))
        verifier.verify_artifact(hashed, bundle, policy.Identity(identity=request.certificateIdentity, issuer=request.certificateOidcIssuer))
        return {"verdict": "pass"}
    except (VerificationError, ValueError) as error:
        return {"verdict": "fail", "reason": str(error)}
