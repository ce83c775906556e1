import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../i18n/i18n';
import { DataItemsEditor } from './DataItemsEditor';
import { newItemRow, type DataItemRow } from './entry-form-model';

function Harness({ onRows }: { onRows: (rows: DataItemRow[]) => void }) {
  const [rows, setRows] = useState([newItemRow({ name: 'a' }), newItemRow({ name: 'b', type: 'integer' })]);
  return (
    <I18nProvider locale="en">
      <DataItemsEditor
        rows={rows}
        errors={{ 'dataItems.0.name': ['name is taken twice'] }}
        onChange={(next) => {
          setRows(next);
          onRows(next);
        }}
      />
    </I18nProvider>
  );
}

const names = (rows: DataItemRow[]) => rows.map((r) => `${r.name}:${r.type}`);

describe('DataItemsEditor', () => {
  it('adds, edits, moves and removes rows', () => {
    let rows: DataItemRow[] = [];
    render(<Harness onRows={(r) => (rows = r)} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add a data item' }));
    expect(names(rows)).toEqual(['a:string', 'b:integer', ':string']);
    fireEvent.change(screen.getByLabelText('Name of item 3'), { target: { value: 'c' } });
    fireEvent.change(screen.getByLabelText('Type of item 3'), { target: { value: 'date' } });
    expect(names(rows)).toEqual(['a:string', 'b:integer', 'c:date']);
    fireEvent.click(screen.getByRole('button', { name: 'Move item 3 up' }));
    expect(names(rows)).toEqual(['a:string', 'c:date', 'b:integer']);
    fireEvent.click(screen.getByRole('button', { name: 'Remove item 1' }));
    expect(names(rows)).toEqual(['c:date', 'b:integer']);
    expect((screen.getByLabelText('Name of item 1') as HTMLInputElement).value).toBe('c');
    expect((screen.getByRole('button', { name: 'Move item 1 up' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Move item 2 down' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("names each row's inputs as the API names its fields, and shows the row's error beside it", () => {
    render(<Harness onRows={() => undefined} />);
    const first = screen.getByLabelText('Name of item 1');
    expect(first.getAttribute('name')).toBe('dataItems.0.name');
    expect(first.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('name is taken twice')).toBeTruthy();
    expect(screen.getByLabelText('Name of item 2').getAttribute('aria-invalid')).toBeNull();
  });
});
