/**
 * Alertmanager's API v2, the one call the forwarder needs: `POST <base>/api/v2/alerts`
 * with a JSON array of postable alerts. 200 = stored. 400 = some alerts failed
 * validation (Alertmanager stores the valid ones and answers with a JSON string saying
 * why): not retriable. 429/5xx, timeouts and connection errors are retriable.
 */
import { QmpipeError } from '#common/errors.js';
import type { PostableAlert } from './alertmanager.js';

export type AlertmanagerErrorCode = 'ALERTMANAGER_UNREACHABLE' | 'ALERTMANAGER_HTTP' | 'ALERTMANAGER_REJECTED';

export class AlertmanagerError extends QmpipeError {
  readonly status: number | undefined;

  constructor(code: AlertmanagerErrorCode, message: string, opts: { retriable: boolean; url: string; status?: number; cause?: unknown }) {
    super(code, message, { retriable: opts.retriable, cause: opts.cause, context: { url: opts.url, status: opts.status } });
    this.status = opts.status;
  }
}

export type FetchFn = typeof fetch;

export interface AlertmanagerClient {
  readonly url: string;
  /** Posts one batch; throws an AlertmanagerError. */
  post(alerts: readonly PostableAlert[]): Promise<void>;
}

/** The alerts endpoint of a base URL: http://h:9093 and http://h:9093/ both → http://h:9093/api/v2/alerts. */
export function alertsEndpoint(base: string): string {
  return `${base.replace(/\/+$/, '')}/api/v2/alerts`;
}

async function bodyText(res: Response): Promise<string> {
  try {
    return (await res.text()).trim().slice(0, 500);
  } catch {
    return '';
  }
}

export function alertmanagerClient(base: string, opts: { timeoutMs: number; fetch?: FetchFn }): AlertmanagerClient {
  const url = alertsEndpoint(base);
  const doFetch = opts.fetch ?? fetch;
  return {
    url,
    async post(alerts) {
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alerts),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (cause) {
        const reason = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
        throw new AlertmanagerError('ALERTMANAGER_UNREACHABLE', `POST ${url}: ${reason}`, { retriable: true, url, cause });
      }
      if (res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        return;
      }
      const body = await bodyText(res);
      const what = `POST ${url}: HTTP ${res.status}${body ? `: ${body}` : ''}`;
      if (res.status === 400 || res.status === 422) {
        throw new AlertmanagerError('ALERTMANAGER_REJECTED', what, { retriable: false, url, status: res.status });
      }
      const retriable = res.status === 429 || res.status === 408 || res.status >= 500;
      throw new AlertmanagerError('ALERTMANAGER_HTTP', what, { retriable, url, status: res.status });
    },
  };
}
