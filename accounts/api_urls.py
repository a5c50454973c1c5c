from django.urls import path

from accounts import api, profile_api

urlpatterns = [
    path("auth/register/", api.RegisterApi.as_view(), name="api-register"),
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("me/profile/", profile_api.ProducerProfileApi.as_view(), name="api-producer-profile"),
]
