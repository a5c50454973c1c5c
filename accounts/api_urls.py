from django.urls import path

from accounts import api, profile_api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="api-register"),
    path("auth/activate/", api.ActivateApi.as_view(), name="api-activate"),
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("auth/tokens/", api.TokenListApi.as_view(), name="api-tokens"),
    path("auth/tokens/revoke-all/", api.TokenRevokeAllApi.as_view(), name="api-tokens-revoke-all"),
    path("auth/tokens/<int:pk>/", api.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("me/profile/", profile_api.ProducerProfileApi.as_view(), name="api-producer-profile"),
]
