// The lint rule that fails the build when a route handler declares no access policy.
import { RuleTester } from 'eslint';
import * as tsParser from '@typescript-eslint/parser';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the rule is CommonJS so that eslint.config.mjs and jest both load it as it is
const plugin = require('./route-policy.cjs');

const tester = new RuleTester({ languageOptions: { parser: tsParser } });

describe('tdx/route-policy', () => {
  tester.run('route-policy', plugin.rules['route-policy'], {
    valid: [
      `@Controller('a') class A { @Get() @Policy('catalog:read') list() {} }`,
      `@Controller('a') class A { @Public() @Post('login') login() {} }`,
      `@Controller('a') class A { constructor(private readonly s: S) {} helper() {} }`,
      // Not a controller: nothing to check.
      `class B { @Get() list() {} }`,
    ],
    invalid: [
      {
        code: `@Controller('a') class A { @Get() list() {} }`,
        errors: [{ messageId: 'missing', data: { name: 'A.list' } }],
      },
      {
        code: `@Controller('a') class A { @Post() @HttpCode(200) @Policy('catalog:write') ok() {} @Delete(':id') @HttpCode(204) remove() {} }`,
        errors: [{ messageId: 'missing', data: { name: 'A.remove' } }],
      },
      {
        code: `@Controller() class A { @common.Patch(':id') update() {} }`,
        errors: [{ messageId: 'missing', data: { name: 'A.update' } }],
      },
    ],
  });
});
