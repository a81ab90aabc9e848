#!/usr/bin/env node
/*
 * Independent verifier for E-Campus credentials, built on Digital Bazaar's libraries
 * (@digitalbazaar/vc + data-integrity + eddsa-rdfc-2022-cryptosuite), so that the Python
 * signer is checked against an implementation it shares no code with.
 *
 * Usage: node verify.mjs INPUT.json   (or the JSON on stdin)
 *   {"credential": {...},
 *    "controllerDocument": {...} or [{...}, ...],   the issuer profile as the app publishes it
 *    "statusListCredential": {...},                 optional: check revocation for real
 *    "now": "2030-01-01T00:00:00Z",                 optional: the time to verify at
 *    "maxClockSkew": 0}                             optional: seconds of leeway (300)
 * Prints {"verified": bool, "error": string|null, "status": ...}; exits 0 if verified, else 1.
 *
 * Key resolution: the proof's verificationMethod is an https URL under the issuer
 * (https://host/issuer/keys/z6Mk...). Each controller document is served at its `id`, and
 * each Multikey in its `verificationMethod` at the key's own `id` (as the app publishes
 * them). The suite loads the key from that URL, then CredentialIssuancePurpose loads the
 * key's `controller`, frames it with the security/v2 context, checks that its
 * `assertionMethod` lists the key, and that the controller is the credential's issuer.
 *
 * Network: none. The document loader serves only the contexts bundled with the app
 * (ecampus/certificates/vc/contexts), the test-only ones (../vectors/contexts), those the
 * published profile and the framing step need from pinned npm packages (DID v1,
 * Multikey v1, security v1/v2), and the documents given in the input. Any other URL fails.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import zlib from 'node:zlib';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import multikeyContext from '@digitalbazaar/multikey-context';
import securityContext from '@digitalbazaar/security-context';
import didContext from 'did-context';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONTEXT_FOLDERS = [
  path.join(here, '..', '..', '..', 'ecampus', 'certificates', 'vc', 'contexts'),
  path.join(here, '..', 'vectors', 'contexts'),
];

function bundledContexts() {
  const contexts = new Map();
  for(const folder of CONTEXT_FOLDERS) {
    const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    for(const [url, {file}] of Object.entries(manifest)) {
      contexts.set(url, JSON.parse(readFileSync(path.join(folder, file), 'utf8')));
    }
  }
  for(const pkg of [didContext, multikeyContext, securityContext]) {
    for(const [url, context] of pkg.contexts) {
      contexts.set(url, context);
    }
  }
  return contexts;
}

function makeDocumentLoader(controllerDocuments) {
  const loader = new JsonLdDocumentLoader();
  loader.addDocuments({documents: bundledContexts()});
  for(const controller of controllerDocuments) {
    loader.addStatic(controller.id, controller);
    for(const method of [controller.verificationMethod ?? []].flat()) {
      if(typeof method === 'object') {
        loader.addStatic(method.id, {'@context': multikeyContext.CONTEXT_URL, ...method});
      }
    }
  }
  const load = loader.build();
  return async url => {
    try {
      return await load(url);
    } catch(error) {
      throw new Error(`refusing to load ${url}: not bundled and the network is off`);
    }
  };
}

function statusChecker({statusListCredential, suite, documentLoader, now, maxClockSkew}) {
  return async ({credential}) => {
    if(!statusListCredential) {
      return {verified: true, skipped: 'no status list credential given'};
    }
    const entry = [credential.credentialStatus].flat()[0];
    if(entry.statusListCredential !== statusListCredential.id) {
      return {verified: false, error: 'status list credential id does not match'};
    }
    const listResult = await vc.verifyCredential({
      credential: statusListCredential, suite, documentLoader, now, maxClockSkew,
    });
    if(!listResult.verified) {
      return {verified: false, error: `status list: ${describe(listResult)}`};
    }
    const {encodedList, statusPurpose} = statusListCredential.credentialSubject;
    if(statusPurpose !== entry.statusPurpose || !encodedList.startsWith('u')) {
      return {verified: false, error: 'status list purpose or encoding does not match'};
    }
    const bits = zlib.gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
    const index = Number.parseInt(entry.statusListIndex, 10);
    const set = (bits[Math.floor(index / 8)] & (0x80 >> (index % 8))) !== 0;
    return set ? {verified: false, error: `revoked (bit ${index} is set)`} :
      {verified: true, bitLength: bits.length * 8};
  };
}

function describe(result) {
  const errors = [result.error, ...(result.results ?? []).map(r => r.error),
    result.statusResult?.error]
    .flatMap(e => (e?.errors ?? [e]))
    .filter(Boolean)
    .map(e => e.message ?? String(e));
  return [...new Set(errors)].join('; ') || 'not verified';
}

async function main() {
  const source = process.argv[2] ? readFileSync(process.argv[2], 'utf8') :
    readFileSync(0, 'utf8');
  const input = JSON.parse(source);
  const documentLoader = makeDocumentLoader([input.controllerDocument ?? []].flat());
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const now = input.now ? new Date(input.now) : undefined;
  const maxClockSkew = input.maxClockSkew ?? 300;
  const checkStatus = statusChecker({
    statusListCredential: input.statusListCredential, suite, documentLoader, now, maxClockSkew,
  });
  const result = await vc.verifyCredential({
    credential: input.credential, suite, documentLoader, checkStatus, now, maxClockSkew,
  });
  const verified = result.verified === true;
  console.log(JSON.stringify({
    verified,
    error: verified ? null : describe(result),
    status: result.statusResult ?? null,
  }));
  process.exitCode = verified ? 0 : 1;
}

main().catch(error => {
  console.log(JSON.stringify({verified: false, error: `verifier crashed: ${error.stack}`}));
  process.exitCode = 2;
});
