package tx.testing;

import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * HiveServer2 CUSTOM authentication for tx's test server: one account (system properties
 * tx.test.hive.user / tx.test.hive.password) must give its password; any other user name is let
 * in without one, as with auth NONE, so suites that connect anonymously keep working.
 */
public class TxTestPasswordAuthenticator implements PasswdAuthenticationProvider {
  @Override
  public void Authenticate(String user, String password) throws AuthenticationException {
    String account = System.getProperty("tx.test.hive.user");
    String expected = System.getProperty("tx.test.hive.password");
    if (account == null || expected == null || !account.equals(user)) return;
    if (!expected.equals(password)) {
      throw new AuthenticationException("wrong password for user " + user);
    }
  }
}
