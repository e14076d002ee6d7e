import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake STS saw it. */
export interface StsRequest {
  action: string;
  params: Record<string, string>;
  /** The access key id in the SigV4 Authorization header: who signed the call. */
  signedBy?: string;
}

export interface FakeSts {
  endpoint: string;
  requests: StsRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for STS over HTTP (AWS query protocol, XML answers), for tests that run the
 * real CLI in a child process where an in-process SDK mock cannot reach. GetSessionToken
 * and AssumeRole answer with `credentials`, GetCallerIdentity with `account`; the code `rejectCode` is refused the way STS
 * refuses a wrong MFA code.
 */
export async function startFakeSts(options: {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  lifetimeSeconds?: number;
  rejectCode?: string;
  /** The account GetCallerIdentity answers with (default 111122223333). */
  account?: string;
}): Promise<FakeSts> {
  const requests: StsRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const action = params.Action ?? '?';
      const signedBy = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
      requests.push({ action, params, ...(signedBy ? { signedBy } : {}) });
      res.setHeader('content-type', 'text/xml');
      if (action === 'GetCallerIdentity') {
        // Who the caller is: what fills a policy's account placeholders, and checks credentials.
        const account = options.account ?? '111122223333';
        res.end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
            `<Arn>arn:aws:iam::${account}:user/alice</Arn><UserId>AIDAFAKE</UserId><Account>${account}</Account>` +
            `</GetCallerIdentityResult><ResponseMetadata><RequestId>fake-3</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
        return;
      }
      if (params.TokenCode === options.rejectCode) {
        res.statusCode = 403;
        res.end(
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
            '<Code>AccessDenied</Code><Message>MultiFactorAuthentication failed with invalid MFA one time pass code. </Message>' +
            '</Error><RequestId>fake-1</RequestId></ErrorResponse>',
        );
        return;
      }
      const expiration = new Date(Date.now() + (options.lifetimeSeconds ?? 3600) * 1000).toISOString();
      const c = options.credentials;
      const credentials =
        `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${c.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${c.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>`;
      const extra =
        action === 'AssumeRole'
          ? `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/Fake/${params.RoleSessionName}</Arn><AssumedRoleId>AROAFAKE:x</AssumedRoleId></AssumedRoleUser>`
          : '';
      res.end(
        `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>${credentials}${extra}` +
          `</${action}Result><ResponseMetadata><RequestId>fake-2</RequestId></ResponseMetadata></${action}Response>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
