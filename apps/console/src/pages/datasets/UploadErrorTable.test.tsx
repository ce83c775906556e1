import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../i18n/i18n';
import { UploadErrorTable, uploadRefusalOf } from './UploadErrorTable';

describe('UploadErrorTable', () => {
  const refusal = {
    statusCode: 400,
    error: 'Bad Request',
    message: 'upload refused, nothing was loaded: 2 errors, the first at line 3: x',
    errors: [
      { line: 3, message: 'amount: not an integer' },
      { line: 1200, message: 'region_code 110000 is outside 330106' },
    ],
    truncated: true,
  };

  it('lists each refused line with its message, and says when reading stopped at the cap', () => {
    render(
      <I18nProvider locale="en">
        <UploadErrorTable refusal={refusal} />
      </I18nProvider>,
    );
    const table = screen.getByRole('table', { name: 'Errors by line' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['3', 'amount: not an integer'],
      ['1,200', 'region_code 110000 is outside 330106'],
    ]);
    expect(screen.getByRole('heading', { name: 'Errors in the file: 2; nothing was loaded' })).toBeTruthy();
    expect(screen.getByText('Too many errors: checking stopped, the file may hold more.')).toBeTruthy();
  });

  it('says nothing of a cap when the file was read to its end', () => {
    render(
      <I18nProvider locale="zh-CN">
        <UploadErrorTable refusal={{ ...refusal, truncated: false }} />
      </I18nProvider>,
    );
    expect(screen.queryByRole('note')).toBeNull();
    expect(screen.getByRole('columnheader', { name: '行号' })).toBeTruthy();
  });

  it('recognises an upload refusal among error bodies', () => {
    expect(uploadRefusalOf(refusal)).toBe(refusal);
    expect(uploadRefusalOf({ statusCode: 400, message: 'bad', fields: [] })).toBeUndefined();
  });
});
