/**
 * Sends a rendered report through SES SendRawEmail. The MIME is built by nodemailer's
 * MailComposer: multipart/mixed > multipart/related > multipart/alternative (text, HTML) with the
 * chart PNGs inline by Content-ID, and the CSV as an attachment.
 */
import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { RenderedReport } from '../core/reports/render';

/** SES raw messages may not exceed 10 MB (v1 API) once encoded. */
export const SES_RAW_LIMIT_BYTES = 10 * 1024 * 1024;

/** A report mail that could not be sent; `reason` says what to fix. */
export class ReportMailError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot send the report mail: ${reason}`, options);
    this.name = 'ReportMailError';
  }
}

/** Sends report mails. */
export interface ReportMailer {
  /** Sends `report` from `from` to `to`; resolves with the provider's message id. */
  send(report: RenderedReport, from: string, to: readonly string[]): Promise<string>;
}

/**
 * Builds the raw MIME message of a report.
 * @returns the RFC 5322 message bytes
 */
export async function buildReportMime(report: RenderedReport, from: string, to: readonly string[]): Promise<Buffer> {
  const composer = new MailComposer({
    from,
    to: [...to],
    subject: report.subject,
    text: report.text,
    html: report.html,
    attachments: [
      ...report.images.map((img) => ({
        filename: img.filename,
        content: Buffer.from(img.png),
        contentType: 'image/png',
        cid: img.cid,
        contentDisposition: 'inline' as const,
      })),
      { filename: report.csv.filename, content: report.csv.content, contentType: 'text/csv; charset=utf-8' },
      ...(report.incidentsCsv === undefined
        ? []
        : [
            {
              filename: report.incidentsCsv.filename,
              content: report.incidentsCsv.content,
              contentType: 'text/csv; charset=utf-8',
            },
          ]),
    ],
  });
  return composer.compile().build();
}

/** {@link ReportMailer} over SES (v1 SendRawEmail), taking its client from the composition root. */
export class SesReportMailer implements ReportMailer {
  constructor(private readonly ses: SESClient) {}

  /** {@inheritDoc ReportMailer.send} */
  async send(report: RenderedReport, from: string, to: readonly string[]): Promise<string> {
    if (to.length === 0) throw new ReportMailError('no recipients; set reports.schedules.<kind>.recipients');
    const raw = await buildReportMime(report, from, to);
    if (raw.length > SES_RAW_LIMIT_BYTES) {
      throw new ReportMailError(`the message is ${raw.length} bytes, over the SES limit of ${SES_RAW_LIMIT_BYTES}`);
    }
    try {
      const out = await this.ses.send(
        new SendRawEmailCommand({ Source: from, Destinations: [...to], RawMessage: { Data: raw } }),
      );
      return out.MessageId ?? '';
    } catch (err) {
      throw new ReportMailError(
        `SES refused it (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}); check that ${from} is a verified identity`,
        { cause: err },
      );
    }
  }
}
