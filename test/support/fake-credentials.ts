/**
 * Throw-away credentials for the objstore conformance corpus, generated on
 * every run (never stored in the repository). They are well formed, so that
 * Thanos's clients construct with them and only fail when they try to use
 * them on the network, which the sandbox does not have. None of them belongs
 * to any account.
 */
import { generateKeyPairSync } from 'node:crypto';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** An unencrypted PKCS#1 RSA private key (PEM). */
export const FAKE_RSA_PRIVATE_KEY = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

/** The passphrase of FAKE_ENCRYPTED_RSA_PRIVATE_KEY. */
export const FAKE_KEY_PASSPHRASE = 'not-a-real-passphrase';

/** The same key, encrypted with a passphrase as OpenSSL's traditional PEM encryption does (what OCI's SDK decrypts). */
export const FAKE_ENCRYPTED_RSA_PRIVATE_KEY = privateKey
  .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: FAKE_KEY_PASSPHRASE })
  .toString();

/** A Google service account key file, as `gcloud iam service-accounts keys create` writes one. */
export const FAKE_GCP_SERVICE_ACCOUNT_JSON = JSON.stringify({
  type: 'service_account',
  project_id: 'fake-project',
  private_key_id: '0123456789abcdef0123456789abcdef01234567',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  client_email: 'thanos@fake-project.iam.gserviceaccount.com',
  client_id: '100000000000000000000',
  auth_uri: 'https://accounts.google.com/o/oauth2/auth',
  token_uri: 'https://oauth2.googleapis.com/token',
});

/** base64 of bytes: what Azure's shared key credential decodes. */
export const FAKE_AZURE_ACCOUNT_KEY = Buffer.from('not-a-real-azure-storage-account-key').toString('base64');
