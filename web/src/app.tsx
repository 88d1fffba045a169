import { Route, Switch } from 'wouter';
import { BalanceProvider } from './components/balance';
import { SiteLayout } from './components/site-layout';
import { ConsoleApp } from './console/console-app';
import { BuyPage } from './pages/buy';
import { CreditsPage } from './pages/credits';
import { NotFoundPage } from './pages/not-found';
import { PricingPage } from './pages/pricing';
import { StudioPage } from './pages/studio';

/** Two apps in one bundle: the demo studio for end users, and the operator console under /console. */
export function App() {
  return (
    <Switch>
      <Route path="/console" nest>
        <ConsoleApp />
      </Route>
      <Route>
        <BalanceProvider>
          <SiteLayout>
            <Switch>
              <Route path="/" component={StudioPage} />
              <Route path="/credits" component={CreditsPage} />
              <Route path="/pricing" component={PricingPage} />
              <Route path="/buy" component={BuyPage} />
              <Route component={NotFoundPage} />
            </Switch>
          </SiteLayout>
        </BalanceProvider>
      </Route>
    </Switch>
  );
}
