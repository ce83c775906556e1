// ESLint rule tdx/route-policy: every route handler of a Nest controller declares who may call it,
// with @Policy('<permission>') or @Public(). A handler without one fails `npm run lint` (and so the
// build); the node's global guard also refuses it at run time.
'use strict';

const ROUTE_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Options', 'Head', 'All', 'Search', 'Sse']);
const POLICY_DECORATORS = new Set(['Policy', 'Public']);

/** The name of a decorator written `@Name(...)` or `@Name`. */
function decoratorName(decorator) {
  const expression = decorator.expression;
  const callee = expression.type === 'CallExpression' ? expression.callee : expression;
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier') return callee.property.name;
  return undefined;
}

const names = (node) => (node.decorators ?? []).map(decoratorName);

/** @type {import('eslint').Rule.RuleModule} */
const routePolicy = {
  meta: {
    type: 'problem',
    docs: { description: 'every route handler of a Nest controller declares its access policy (@Policy or @Public)' },
    schema: [],
    messages: {
      missing: "route handler {{name}} declares no access policy: add @Policy('<permission>') or @Public() (see apps/node/src/access/permissions.ts)",
    },
  },
  create(context) {
    return {
      'ClassDeclaration, ClassExpression'(classNode) {
        if (!names(classNode).includes('Controller')) return;
        for (const member of classNode.body.body) {
          if (member.type !== 'MethodDefinition') continue;
          const decorators = names(member);
          if (!decorators.some((n) => ROUTE_DECORATORS.has(n))) continue;
          if (decorators.some((n) => POLICY_DECORATORS.has(n))) continue;
          const name = member.key.type === 'Identifier' ? member.key.name : '(computed)';
          context.report({ node: member.key, messageId: 'missing', data: { name: `${classNode.id?.name ?? 'controller'}.${name}` } });
        }
      },
    };
  },
};

module.exports = { rules: { 'route-policy': routePolicy } };
