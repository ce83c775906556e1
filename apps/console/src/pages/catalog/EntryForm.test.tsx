import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../i18n/i18n';
import { SessionTestProvider, useSession } from '../../session/session';
import { EntryForm } from './EntryForm';
import { createBodyOf, emptyEntryForm, newItemRow, type CreateEntry } from './entry-form-model';

function refusal(status: number, body: object): typeof fetch {
  return () => Promise.resolve(new Response(JSON.stringify({ statusCode: status, ...body }), { status, headers: { 'content-type': 'application/json' } }));
}

/** The form as the page uses it: its body goes to the API through the session's client. */
function renderForm(fetch: typeof globalThis.fetch, sent: CreateEntry[] = []) {
  const initial = { ...emptyEntryForm(), name: 'Permits', dataItems: [newItemRow({ name: 'id' }), newItemRow({ name: 'issued', type: 'date' })] };
  render(
    <I18nProvider locale="en">
      <SessionTestProvider fetch={fetch} permissions={['catalog:write']}>
        <Probe initial={initial} sent={sent} />
      </SessionTestProvider>
    </I18nProvider>,
  );
}

function Probe({ initial, sent }: { initial: ReturnType<typeof emptyEntryForm>; sent: CreateEntry[] }) {
  const { api } = useSession();
  return (
    <EntryForm
      mode="create"
      initial={initial}
      providers={[{ id: 'p1', name: 'Bureau' }]}
      onCancel={() => undefined}
      onSubmit={async (form) => {
        sent.push(createBodyOf(form));
        await api.call('POST /api/v1/catalog/entries', { body: createBodyOf(form) });
      }}
    />
  );
}

const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Register entry' }));

describe('EntryForm', () => {
  it("shows a 400's data item field beside that row's input, and the others beside theirs", async () => {
    renderForm(
      refusal(400, {
        error: 'Bad Request',
        message: 'invalid',
        fields: [
          { field: 'dataItems.1.type', messages: ['type must be one of string, integer'] },
          { field: 'summary', messages: ['summary should not be empty'] },
        ],
      }),
    );
    submit();
    const typeOfSecond = await screen.findByLabelText('Type of item 2');
    await screen.findByText('type must be one of string, integer');
    expect(typeOfSecond.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(typeOfSecond.getAttribute('aria-describedby')!)?.textContent).toBe('type must be one of string, integer');
    expect(screen.getByLabelText('Type of item 1').getAttribute('aria-invalid')).toBeNull();
    const summary = screen.getByLabelText(/^Summary/);
    expect(summary.getAttribute('aria-invalid')).toBe('true');
    // Nothing the form shows beside a field is repeated in the banner.
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("shows a 422's rule and article in the banner, none beside the fields", async () => {
    renderForm(
      refusal(422, {
        error: 'Unprocessable Entity',
        message: 'refused',
        rule: 'state-secret',
        article: 'Article 2',
        refusals: [{ rule: 'state-secret', article: 'Article 2', message: 'state secrets are not catalogued' }],
      }),
    );
    submit();
    const banner = await screen.findByRole('alert');
    expect(within(banner).getByText('state secrets are not catalogued (Article 2)')).toBeTruthy();
    expect(document.querySelectorAll('[aria-invalid="true"]')).toHaveLength(0);
  });

  it('shows a 409 on the code beside the code input', async () => {
    renderForm(refusal(409, { error: 'Conflict', message: 'code P-1 is taken at this node', field: 'code' }));
    submit();
    await screen.findByText('code P-1 is taken at this node');
    expect(screen.getByLabelText(/^Resource code/).getAttribute('aria-invalid')).toBe('true');
  });

  it('sends the data items as edited, in order', async () => {
    const sent: CreateEntry[] = [];
    renderForm(refusal(400, { error: 'Bad Request', message: 'x', fields: [] }), sent);
    fireEvent.change(screen.getByLabelText('Name of item 2'), { target: { value: 'issued_on' } });
    fireEvent.click(screen.getByLabelText('Item 1 is sensitive'));
    submit();
    await screen.findByRole('alert');
    expect(sent[0].dataItems).toEqual([
      { name: 'id', type: 'string', sensitive: true },
      { name: 'issued_on', type: 'date', sensitive: false },
    ]);
  });
});
