import { ApiError, UnreachableError } from './client';

/** Marks, in `form`, that the node did not answer at all (shown as common.unreachable). */
export const UNREACHABLE = 'unreachable';

/** What a form shows after a refusal: messages beside named fields, and one for the form as a whole. */
export interface FormErrors {
  fields: Record<string, string[]>;
  /** The refusal as a whole (a rule of the regulation, a conflict, ...), or a message for what no field shows. */
  form: string[];
}

/**
 * Maps the API's answer to a form: a 400 names each field at fault (`fields`), a 409 the `field` in
 * conflict, a 422 the rule (and the article) that refused. Array fields come as `dataItems.2.name`;
 * `fieldOf` can fold such paths onto the inputs the form has.
 */
export function formErrorsOf(error: unknown, fieldOf: (path: string) => string = (path) => path): FormErrors {
  const result: FormErrors = { fields: {}, form: [] };
  const add = (field: string, message: string) => (result.fields[field] ??= []).push(message);
  if (error instanceof ApiError) {
    const view = error.view;
    if (view.fields?.length) for (const problem of view.fields) add(fieldOf(problem.field), problem.messages.join('; '));
    else if (view.field) add(fieldOf(view.field), messageOf(view.message));
    else if (view.refusals?.length) result.form.push(...view.refusals.map((r) => `${r.message}${r.article ? ` (${r.article})` : ''}`));
    else result.form.push(messageOf(view.message));
    return result;
  }
  if (error instanceof UnreachableError) result.form.push(UNREACHABLE);
  else result.form.push((error as Error)?.message ?? String(error));
  return result;
}

function messageOf(message: string | string[]): string {
  return Array.isArray(message) ? message.join('; ') : message;
}
